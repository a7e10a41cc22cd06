"""`serve --workers N`: several processes on one port, sharing state through Redis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.runner import one_error_line, run_cli_process, write_config
from tests.support.gateway import (
    START_TIMEOUT,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
    wait_until,
)
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession
from tests.support.redis import REDIS_URL


@pytest.fixture(scope="module")
def http_upstream() -> Iterator[str]:
    """One upstream both workers share: a stdio upstream would start a process per worker."""
    with running_demo_http() as demo:
        yield demo.url


@pytest.mark.parametrize("store", ["memory://", "sqlite:///{tmp}/state.db"])
def test_more_than_one_worker_without_a_shared_store_exits_1_with_one_line(
    tmp_path: Path, store: str
) -> None:
    path = write_config(tmp_path, store={"url": store.format(tmp=tmp_path)})
    result = run_cli_process("serve", "--config", str(path), "--workers", "2")
    assert "redis://" in one_error_line(result)


def test_zero_workers_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli_process("serve", "--config", str(write_config(tmp_path)), "--workers", "0")
    assert result.returncode == 2


async def test_two_workers_on_redis_continue_a_session_on_new_connections_and_stop_on_sigterm(
    issuer: RunningIssuer, http_upstream: str, redis_prefix: str, tmp_path: Path
) -> None:
    config = gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams={"demo": {"transport": "streamable-http", "url": http_upstream}},
        store={"url": REDIS_URL, "key_prefix": redis_prefix},
    )
    with running_gateway(config, tmp_path, "--workers", "2") as gateway:
        wait_until(
            lambda: sum(" ready at " in line for line in gateway.log) == 2, START_TIMEOUT, "both workers"
        )
        token = issuer.issuer.mint("alice", audience=gateway.url)
        async with httpx.AsyncClient(timeout=20) as http:
            session = RawSession(http, gateway.url, token)
            await session.initialize()
        for call in range(6):
            # A client per call: a new connection, which either worker may accept.
            async with httpx.AsyncClient(timeout=20) as http:
                session.http = http
                reply = await session.request(
                    "tools/call", {"name": "demo__echo", "arguments": {"text": f"call {call}"}}
                )
            assert f"call {call}" in json.dumps(reply["result"])

        gateway.stop()
        assert gateway.process.returncode == 0, "\n".join(gateway.log)
        calls = [line for line in gateway.audit() if line["method"] == "tools/call"]
        assert [line["decision"] for line in calls] == ["allow"] * 6
