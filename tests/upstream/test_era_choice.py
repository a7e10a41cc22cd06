"""Which era the gateway speaks to an upstream that speaks both: the client's.

The demo server over Streamable HTTP answers `server/discover` and `initialize` alike. A legacy
client gets a legacy session of its own on it (no bridging, and the SDK's server spends less
than half the CPU on such a request); a modern client, and the gateway's own catalog fetches,
speak 2026-07-28. `protocol: modern` pins the upstream to the modern era for everyone.

Two spies in front of the same demo server record the bytes of each configured upstream:
`both` (`protocol: auto`) and `pinned` (`protocol: modern`). The gateway runs in-process.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from authz_mcp.config import parse_config
from authz_mcp.runtime import open_runtime
from tests.modern.wire import post as modern_post
from tests.support.gateway import gateway_config, running_demo_http
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession, parse_sse
from tests.support.spy import Spy, running_spy

BASE = "http://127.0.0.1:8080"
POLICY = """\
p, bob, both/tools/echo, call, allow
p, bob, both/tools/slow_task, call, allow
p, bob, pinned/tools/echo, call, allow
"""
LEGACY, MODERN = "2025-11-25", "2026-07-28"
ENVELOPE_KEY = b"io.modelcontextprotocol/"


@dataclass(frozen=True)
class Sent:
    """One HTTP request the gateway sent upstream, as the spy saw it."""

    method: str
    headers: dict[str, str]
    body: bytes

    @property
    def message(self) -> dict[str, Any]:
        return dict(json.loads(self.body)) if self.body else {}


def sent(raw: bytes) -> list[Sent]:
    """The requests in a spy's bytes (bodies are sent with a Content-Length)."""
    requests: list[Sent] = []
    while raw:
        head, _, rest = raw.partition(b"\r\n\r\n")
        line, *fields = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (f.partition(":") for f in fields)}
        length = int(headers.get("content-length", "0"))
        requests.append(Sent(line.split(" ", 1)[0], headers, rest[:length]))
        raw = rest[length:]
    return requests


def posted(spy: Spy, mark: int, method: str) -> list[Sent]:
    return [request for request in sent(spy.since(mark)) if request.message.get("method") == method]


@pytest.fixture(scope="module")
def spies() -> Iterator[tuple[Spy, Spy]]:
    with running_demo_http() as demo, running_spy(demo.url) as both, running_spy(demo.url) as pinned:
        yield both, pinned


@asynccontextmanager
async def gateway(
    issuer: RunningIssuer, spies: tuple[Spy, Spy], tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    both, pinned = spies
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY, encoding="utf-8")
    raw = gateway_config(
        tmp_path,
        port=8080,
        issuer_url=issuer.url,
        upstreams={
            "both": {"transport": "streamable-http", "url": both.url},
            "pinned": {"transport": "streamable-http", "url": pinned.url, "protocol": "modern"},
        },
        policy={"file": str(policy)},
    )
    async with open_runtime(parse_config(raw)) as runtime:
        transport = httpx.ASGITransport(app=runtime.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=20) as http:
            yield http


def token(issuer: RunningIssuer) -> str:
    return issuer.issuer.mint("bob", audience=f"{BASE}/mcp")


async def legacy_session(http: httpx.AsyncClient, issuer: RunningIssuer) -> RawSession:
    """bob's 2025-11-25 session on the in-process gateway, initialized."""
    session = RawSession(http, f"{BASE}/mcp", token(issuer))
    await session.initialize()
    return session


def echo(upstream: str, text: str) -> dict[str, Any]:
    return {"name": f"{upstream}__echo", "arguments": {"text": text}}


async def test_the_era_probe_opens_one_legacy_session_and_closes_it_again(
    issuer: RunningIssuer, spies: tuple[Spy, Spy], tmp_path: Path
) -> None:
    both, pinned = spies
    marks = both.mark(), pinned.mark()
    async with gateway(issuer, spies, tmp_path):
        started = sent(both.since(marks[0]))
        (initialize,) = [request for request in started if request.message.get("method") == "initialize"]
        assert initialize.headers.get("mcp-protocol-version") is None  # a handshake, not a modern request
        assert ENVELOPE_KEY not in initialize.body
        deleted = [request for request in started if request.method == "DELETE"]
        assert len(deleted) == 1
        assert deleted[0].headers["mcp-session-id"]
        # A pinned upstream is not offered the handshake at all.
        assert posted(pinned, marks[1], "initialize") == []


async def test_legacy_clients_get_legacy_sessions_of_their_own(
    issuer: RunningIssuer, spies: tuple[Spy, Spy], tmp_path: Path
) -> None:
    both, _ = spies
    async with gateway(issuer, spies, tmp_path) as http:
        first, second = await legacy_session(http, issuer), await legacy_session(http, issuer)
        mark = both.mark()
        for session, text in ((first, "one"), (second, "two"), (first, "three")):
            reply = await session.request("tools/call", echo("both", text))
            assert reply["result"]["content"][0]["text"] == text

        calls = posted(both, mark, "tools/call")
        assert [call.message["params"]["arguments"]["text"] for call in calls] == ["one", "two", "three"]
        for call in calls:
            assert call.headers["mcp-protocol-version"] == LEGACY
            assert "mcp-method" not in call.headers
            assert ENVELOPE_KEY not in call.body
        ids = [call.headers["mcp-session-id"] for call in calls]
        assert ids[0] == ids[2] != ids[1]
        # Each session was opened with the handshake and told it is initialized.
        assert len(posted(both, mark, "initialize")) == 2
        assert len(posted(both, mark, "notifications/initialized")) == 2


async def test_a_modern_client_is_served_in_the_modern_era_on_the_same_upstream(
    issuer: RunningIssuer, spies: tuple[Spy, Spy], tmp_path: Path
) -> None:
    both, _ = spies
    async with gateway(issuer, spies, tmp_path) as http:
        mark = both.mark()
        status, reply, _ = await modern_post(
            http, f"{BASE}/mcp", token(issuer), "tools/call", echo("both", "now")
        )
        assert status == 200
        assert reply["result"]["content"][0]["text"] == "now"

        (call,) = posted(both, mark, "tools/call")
        assert call.headers["mcp-protocol-version"] == MODERN
        assert call.headers["mcp-method"] == "tools/call"
        assert "mcp-session-id" not in call.headers
        assert call.message["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == MODERN
        assert posted(both, mark, "initialize") == []


async def test_a_legacy_clients_log_level_is_applied_by_the_gateway_where_the_upstream_took_none(
    issuer: RunningIssuer, spies: tuple[Spy, Spy], tmp_path: Path
) -> None:
    """The demo server declares no `logging` capability, yet logs each step of `slow_task` at
    `info`: it is not sent `logging/setLevel`, and the gateway holds the session's level back."""
    both, _ = spies
    async with gateway(issuer, spies, tmp_path) as http:
        session = await legacy_session(http, issuer)
        slow = {"name": "both__slow_task", "arguments": {"steps": 2, "delay_ms": 0}}
        assert await logged_levels(http, session, slow) == ["info", "info"]
        mark = both.mark()
        assert "result" in await session.request("logging/setLevel", {"level": "warning"})
        assert posted(both, mark, "logging/setLevel") == []
        assert await logged_levels(http, session, slow) == []
        assert "result" in await session.request("logging/setLevel", {"level": "info"})
        assert await logged_levels(http, session, slow) == ["info", "info"]


async def logged_levels(http: httpx.AsyncClient, session: RawSession, params: dict[str, Any]) -> list[str]:
    """The levels of the log messages on the response stream of one tools/call."""
    body = {"jsonrpc": "2.0", "id": 99, "method": "tools/call", "params": params}
    response = await http.post(f"{BASE}/mcp", json=body, headers=session.headers())
    streamed = response.headers["content-type"].startswith("text/event-stream")
    messages = parse_sse(response.text) if streamed else [response.json()]
    assert "result" in messages[-1], response.text
    return [m["params"]["level"] for m in messages if m.get("method") == "notifications/message"]


async def test_a_pinned_modern_upstream_is_told_the_log_level_of_a_legacy_clients_session(
    issuer: RunningIssuer, spies: tuple[Spy, Spy], tmp_path: Path
) -> None:
    """Legacy clients get every level until they set one, as from the upstream directly."""
    _, pinned = spies
    async with gateway(issuer, spies, tmp_path) as http:
        session = await legacy_session(http, issuer)
        mark = pinned.mark()
        assert "result" in await session.request("tools/call", echo("pinned", "a"))
        assert "result" in await session.request("logging/setLevel", {"level": "warning"})
        assert "result" in await session.request("tools/call", echo("pinned", "b"))

        first, second = posted(pinned, mark, "tools/call")
        assert first.message["params"]["_meta"]["io.modelcontextprotocol/logLevel"] == "debug"
        assert second.message["params"]["_meta"]["io.modelcontextprotocol/logLevel"] == "warning"
        assert "mcp-session-id" not in first.headers
        assert posted(pinned, mark, "logging/setLevel") == []  # the modern era has no such request


async def test_ending_a_client_session_closes_its_upstream_session(
    issuer: RunningIssuer, spies: tuple[Spy, Spy], tmp_path: Path
) -> None:
    both, _ = spies
    async with gateway(issuer, spies, tmp_path) as http:
        session = await legacy_session(http, issuer)
        mark = both.mark()
        assert "result" in await session.request("tools/call", echo("both", "bye"))
        (call,) = posted(both, mark, "tools/call")
        ended = await http.delete(f"{BASE}/mcp", headers=session.headers())
        assert ended.status_code in (200, 204)

        deletes = [request for request in sent(both.since(mark)) if request.method == "DELETE"]
        assert [request.headers["mcp-session-id"] for request in deletes] == [call.headers["mcp-session-id"]]


async def test_readyz_names_the_era_of_each_upstream(
    issuer: RunningIssuer, spies: tuple[Spy, Spy], tmp_path: Path
) -> None:
    async with gateway(issuer, spies, tmp_path) as http:
        ready = await http.get(f"{BASE}/readyz")
        assert ready.status_code == 200
        assert ready.json()["upstream_eras"] == {"both": "both", "pinned": "modern"}
