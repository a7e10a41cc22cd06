"""Redis Sentinel failover under load: two gateway replicas on a master, a replica and three
sentinels; the master is killed while sessions call tools through both replicas.

Every session must go on after the failover with at most one retried request, none may be
lost, and no denied call may ever be allowed. The figures (failover time, retried and failed
requests) are printed for the operations notes.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.observability.conftest import demo_config
from tests.support.gateway import GatewayProcess, free_port, running_gateway
from tests.support.issuer import RunningIssuer
from tests.support.raw import INITIALIZE, parse_sse
from tests.support.redis_servers import SentinelSetup, redis_server_binary, running_sentinels, wait_for

SESSIONS = 6
CALLS_AFTER_FAILOVER = 5
LOAD_DEADLINE = 90.0


@dataclass
class Figures:
    retried: int = 0
    failed: int = 0
    wrongly_allowed: int = 0
    slowest: float = 0.0
    calls: list[int] = field(default_factory=lambda: [0] * SESSIONS)
    after_failover: list[int] = field(default_factory=lambda: [0] * SESSIONS)


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[SentinelSetup]:
    if redis_server_binary() is None:
        pytest.fail("redis-server is not installed")
    with running_sentinels(tmp_path) as setup:
        yield setup


def _replicas_config(
    tmp_path: Path, issuer: RunningIssuer, port: int, public_url: str, sentinels: SentinelSetup, key: str
) -> dict[str, Any]:
    return demo_config(
        tmp_path,
        issuer,
        port,
        server={"public_url": public_url, "secret_key": key},
        store={"url": sentinels.url, "key_prefix": f"failover-{key[:8]}:"},
    )


async def _post(
    http: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await http.post(url, json=body, headers=headers)
    if response.status_code != 200:
        raise httpx.HTTPStatusError(f"{response.status_code}", request=response.request, response=response)
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return parse_sse(response.text)[-1]
    return dict(response.json())


@pytest.mark.timeout(240)
async def test_sessions_survive_a_sentinel_failover_with_at_most_one_retry(
    issuer: RunningIssuer, sentinels: SentinelSetup, tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    public_url = f"http://127.0.0.1:{ports[0]}"
    key = secrets.token_hex(24)
    with (
        running_gateway(
            _replicas_config(tmp_path, issuer, ports[0], public_url, sentinels, key), tmp_path
        ) as one,
        running_gateway(
            _replicas_config(tmp_path, issuer, ports[1], public_url, sentinels, key), tmp_path
        ) as two,
    ):
        replicas: list[GatewayProcess] = [one, two]
        token = issuer.issuer.mint("bob", audience=f"{public_url}/mcp")
        base = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
        figures = Figures()
        failed_over = anyio.Event()
        killed_at = 0.0
        promoted_at = 0.0
        warmed_up = anyio.Event()  # every session made three calls: the master dies under load

        async def session(index: int, http: httpx.AsyncClient) -> None:
            response = await http.post(replicas[index % 2].url, json=INITIALIZE, headers=base)
            assert response.status_code == 200
            headers = {
                **base,
                "Mcp-Session-Id": response.headers["mcp-session-id"],
                "MCP-Protocol-Version": "2025-11-25",
            }
            await http.post(
                replicas[index % 2].url,
                json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                headers=headers,
            )
            turn = index
            while figures.after_failover[index] < CALLS_AFTER_FAILOVER:
                turn += 1
                denied = turn % 3 == 0
                tool = "demo__delete_record" if denied else "demo__echo"
                body = {
                    "jsonrpc": "2.0",
                    "id": turn,
                    "method": "tools/call",
                    "params": {"name": tool, "arguments": {"text": "x", "id": "1"}},
                }
                started = time.monotonic()
                reply = None
                for attempt in range(2):
                    url = replicas[(turn + attempt) % 2].url
                    try:
                        reply = await _post(http, url, body, headers)
                        break
                    except (httpx.HTTPStatusError, httpx.TransportError) as exc:
                        if attempt == 1:
                            figures.failed += 1
                            raise AssertionError(
                                f"session {index}: request failed after one retry: {exc!r}"
                            ) from exc
                        figures.retried += 1
                        wait = (
                            exc.response.headers.get("retry-after", "1")
                            if isinstance(exc, httpx.HTTPStatusError)
                            else "1"
                        )
                        await anyio.sleep(float(wait))  # the client honours Retry-After
                figures.slowest = max(figures.slowest, time.monotonic() - started)
                assert reply is not None
                if denied:
                    if "result" in reply:
                        figures.wrongly_allowed += 1
                    assert reply["error"]["code"] == -32602
                else:
                    assert "result" in reply, reply
                figures.calls[index] += 1
                if min(figures.calls) >= 3:
                    warmed_up.set()
                if failed_over.is_set():
                    figures.after_failover[index] += 1

        async def kill_master() -> None:
            nonlocal killed_at, promoted_at
            await warmed_up.wait()  # bounded by the load's deadline
            old = sentinels.master.port
            killed_at = time.monotonic()
            sentinels.master.kill()
            await anyio.to_thread.run_sync(
                lambda: wait_for(
                    lambda: sentinels.current_master_port() not in (None, old), "a new master", 60
                )
            )
            promoted_at = time.monotonic()
            failed_over.set()

        with anyio.fail_after(LOAD_DEADLINE):
            async with httpx.AsyncClient(timeout=30) as http, anyio.create_task_group() as group:
                for index in range(SESSIONS):
                    group.start_soon(session, index, http)
                group.start_soon(kill_master)

        assert sentinels.current_master_port() == sentinels.replica.port
        assert figures.failed == 0
        assert figures.wrongly_allowed == 0
        assert figures.retried <= SESSIONS
        assert all(count >= CALLS_AFTER_FAILOVER for count in figures.after_failover)
        print(
            f"\nsentinel failover: new master after {promoted_at - killed_at:.2f} s; "
            f"{sum(figures.calls)} calls in {SESSIONS} sessions over 2 replicas, "
            f"{figures.retried} retried, {figures.failed} failed, 0 lost sessions, "
            f"slowest request {figures.slowest:.2f} s"
        )
