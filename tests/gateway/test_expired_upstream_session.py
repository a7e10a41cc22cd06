"""A client's upstream session that the HTTP upstream forgot (it restarted) costs the client
nothing: no 5xx on any path, and the next request works on a new upstream session."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import anyio
import httpx
import pytest

from tests.support.gateway import (
    DemoProcess,
    GatewayProcess,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
    wait_until,
)
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession

POLICY_LINES = "p, alice, web/tools/*, call, allow\n"


@pytest.fixture(scope="module")
def upstream_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def upstream(upstream_port: int) -> Iterator[DemoProcess]:
    with running_demo_http("--legacy-only", "--port", str(upstream_port)) as demo:
        yield demo


@pytest.fixture(scope="module")
def gateway(
    issuer: RunningIssuer, upstream: DemoProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    tmp_path = tmp_path_factory.mktemp("expiry")
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY_LINES, encoding="utf-8")
    with contextlib.ExitStack() as stack:
        demo = upstream
        config = gateway_config(
            tmp_path,
            port=free_port(),
            issuer_url=issuer.url,
            upstreams={"web": {"transport": "streamable-http", "url": demo.url}},
            policy={"file": str(policy)},
        )
        gateway = stack.enter_context(running_gateway(config, tmp_path))
        stack.callback(_assert_no_tracebacks, gateway)
        yield gateway


def _upstream_ready(gateway: GatewayProcess) -> bool:
    return bool(httpx.get(f"{gateway.base_url}/readyz", timeout=5).json()["upstreams"]["web"])


def _assert_no_tracebacks(gateway: GatewayProcess) -> None:
    assert not [line for line in gateway.log if "Traceback" in line or "unhandled error" in line]


async def test_roots_change_after_the_upstream_forgot_the_session_is_accepted(
    gateway: GatewayProcess, issuer: RunningIssuer, upstream: DemoProcess, upstream_port: int
) -> None:
    token = issuer.issuer.mint("alice", audience=gateway.url)
    async with httpx.AsyncClient(timeout=20) as http:
        session = RawSession(http, gateway.url, token)
        await session.initialize({"roots": {"listChanged": True}})
        first = await session.request("tools/call", {"name": "web__echo", "arguments": {"text": "one"}})
        assert "result" in first

        # The upstream restarts on the same port and knows none of the old sessions (404).
        upstream.process.terminate()
        upstream.process.wait(10)
        with running_demo_http("--legacy-only", "--port", str(upstream_port)):
            await anyio.to_thread.run_sync(wait_until, lambda: _upstream_ready(gateway), 30, "reconnect")
            changed = {"jsonrpc": "2.0", "method": "notifications/roots/list_changed"}
            response = await http.post(gateway.url, json=changed, headers=session.headers())
            assert response.status_code == 202

            again = await session.request("tools/call", {"name": "web__echo", "arguments": {"text": "two"}})
            assert "result" in again, again
            assert again["result"]["content"][0]["text"].endswith("two")
