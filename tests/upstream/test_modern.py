"""Upstreams of either era: detection (probe, fall back, pin), and the modern wire."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest

from authz_mcp.config.model import HttpUpstreamConfig, StdioUpstreamConfig
from authz_mcp.errors import UpstreamUnavailable
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream.base import SHARED_SESSION, Era, Upstream
from authz_mcp.upstream.factory import build_upstream
from authz_mcp.upstream.http import HttpUpstream
from authz_mcp.upstream.http_client import HttpxClient
from tests.support.gateway import HttpServers
from tests.support.upstreams import DEMO_MODULE
from tests.upstream.conftest import CLIENT_CAPABILITIES, http_config, stdio_config
from tests.upstream.sinks import RecordingHandler

MODERN = "2026-07-28"


@pytest.fixture(scope="module")
def demo_servers() -> Iterator[HttpServers]:
    with contextlib.ExitStack() as stack:
        yield HttpServers(stack)


@asynccontextmanager
async def started(
    servers: HttpServers, transport: str, protocol: str, *demo_args: str
) -> AsyncIterator[Upstream]:
    """The demo server behind `transport` (its own process over stdio, the module's shared one
    over HTTP), connected to with the era setting `protocol`."""
    async with httpx.AsyncClient() as http, contextlib.AsyncExitStack() as stack:
        if transport == "stdio":
            config: StdioUpstreamConfig | HttpUpstreamConfig = stdio_config(*demo_args, protocol=protocol)
        else:
            config = http_config(servers.url(DEMO_MODULE, *demo_args), protocol=protocol)
        upstream = build_upstream("demo", config, http=http, client_capabilities=CLIENT_CAPABILITIES)
        await upstream.start()
        stack.push_async_callback(upstream.aclose)
        yield upstream


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.mark.parametrize(
    ("protocol", "demo_args", "era"),
    [
        ("auto", (), Era.MODERN),
        ("auto", ("--legacy-only",), Era.LEGACY),
        ("legacy", (), Era.LEGACY),
        ("modern", (), Era.MODERN),
    ],
)
async def test_the_era_is_probed_with_discover_falling_back_to_initialize_or_pinned(
    demo_servers: HttpServers, transport: str, protocol: str, demo_args: tuple[str, ...], era: Era
) -> None:
    async with started(demo_servers, transport, protocol, *demo_args) as upstream:
        assert upstream.era is era
        result = upstream.initialize_result
        assert result is not None
        assert result["protocolVersion"] == (MODERN if era is Era.MODERN else "2025-11-25")
        assert result["serverInfo"]["name"] == "authz-mcp-demo"
        assert result["capabilities"]["tools"] == {"listChanged": True}


async def test_a_legacy_only_upstream_pinned_modern_stays_unavailable(
    demo_servers: HttpServers, transport: str
) -> None:
    async with started(demo_servers, transport, "modern", "--legacy-only") as upstream:
        assert not upstream.available
        with pytest.raises(UpstreamUnavailable):
            await upstream.request(SHARED_SESSION, "tools/list", None)


async def test_a_modern_upstream_has_no_sessions_and_returns_input_required_as_is(
    demo_servers: HttpServers, transport: str
) -> None:
    async with started(demo_servers, transport, "auto") as upstream:
        handle = await upstream.open_session(CLIENT_CAPABILITIES)
        echoed = await upstream.request(handle, "tools/call", {"name": "echo", "arguments": {"text": "hi"}})
        asked = await upstream.request(
            handle, "tools/call", {"name": "ask_model", "arguments": {"question": "?"}}
        )
    assert handle == SHARED_SESSION
    assert echoed["content"] == [{"type": "text", "text": "hi"}]
    assert asked["resultType"] == "input_required"
    assert list(asked["inputRequests"]) == ["sampling/createMessage"]


async def test_subscribe_on_a_modern_upstream_becomes_its_listen_filter(
    demo_servers: HttpServers, transport: str
) -> None:
    uri = "demo://docs/handbook"
    async with started(demo_servers, transport, "auto") as upstream:
        handler = RecordingHandler()
        upstream.set_unsolicited_handler(handler)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                await group.start(upstream.listen, SHARED_SESSION)
                assert await upstream.request(SHARED_SESSION, "resources/subscribe", {"uri": uri}) == {}
                await upstream.request(
                    SHARED_SESSION, "tools/call", {"name": "touch_resource", "arguments": {"uri": uri}}
                )
                while not any(
                    m.get("method") == "notifications/resources/updated" for _, m in handler.received
                ):
                    await handler.got_message.wait()
                    handler.got_message = anyio.Event()
                group.cancel_scope.cancel()
    updates = [m for _, m in handler.received if m.get("method") == "notifications/resources/updated"]
    # The listen stream's own subscription id is not passed on.
    assert updates[0] == {
        "jsonrpc": "2.0",
        "method": "notifications/resources/updated",
        "params": {"uri": uri},
    }


# --- the modern Streamable HTTP wire, against a scripted upstream ---------------------

REGION_TOOL = {
    "name": "execute_sql",
    "inputSchema": {
        "type": "object",
        "properties": {"region": {"type": "string", "x-mcp-header": "Region"}, "query": {"type": "string"}},
    },
}


class ScriptedModern:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        message = json.loads(request.content)
        if "id" not in message:
            return httpx.Response(202)
        results: dict[str, JSONObject] = {
            "server/discover": {
                "supportedVersions": [MODERN],
                "capabilities": {"tools": {}},
                "resultType": "complete",
                "ttlMs": 0,
                "cacheScope": "public",
            },
            "tools/list": {
                "tools": [REGION_TOOL],
                "resultType": "complete",
                "ttlMs": 0,
                "cacheScope": "public",
            },
            "tools/call": {"content": [], "resultType": "complete"},
        }
        if message["method"] not in results:  # `initialize` among them: a modern-only server
            error = {"code": -32601, "message": "Method not found"}
            return httpx.Response(400, json={"jsonrpc": "2.0", "id": message["id"], "error": error})
        return httpx.Response(
            200, json={"jsonrpc": "2.0", "id": message["id"], "result": results[message["method"]]}
        )


@asynccontextmanager
async def scripted_upstream(scripted: ScriptedModern) -> AsyncIterator[HttpUpstream]:
    """An `HttpUpstream` (`protocol: auto`) started against a scripted server."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(scripted)) as client:
        upstream = HttpUpstream(
            "scripted",
            http_config("http://upstream.test/mcp", protocol="auto"),
            http=HttpxClient(client),
            client_capabilities={},
        )
        await upstream.start()
        try:
            yield upstream
        finally:
            await upstream.aclose()


@pytest.fixture
async def scripted_modern() -> AsyncIterator[tuple[HttpUpstream, ScriptedModern]]:
    scripted = ScriptedModern()
    async with scripted_upstream(scripted) as upstream:
        yield upstream, scripted


async def test_modern_requests_carry_the_envelope_and_mirror_it_in_headers(
    scripted_modern: tuple[HttpUpstream, ScriptedModern],
) -> None:
    upstream, scripted = scripted_modern
    await upstream.request(SHARED_SESSION, "tools/list", None)
    await upstream.request(
        SHARED_SESSION,
        "tools/call",
        {"name": "execute_sql", "arguments": {"region": "eu west", "query": "x"}},
    )

    discover, handshake, listed, called = scripted.requests
    # Offered the handshake once, to learn whether it speaks both eras: it does not, so
    # every client is served in the modern era.
    assert json.loads(handshake.content)["method"] == "initialize"
    assert "mcp-method" not in handshake.headers
    assert upstream.era_for(legacy_client=True) is Era.MODERN
    for request in (discover, listed, called):
        body = json.loads(request.content)
        assert request.headers["mcp-protocol-version"] == MODERN
        assert request.headers["mcp-method"] == body["method"]
        assert "mcp-session-id" not in request.headers
        assert body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == MODERN
    assert called.headers["mcp-name"] == "execute_sql"
    # Learned from the tools/list result: the x-mcp-header parameter goes in a header too.
    assert called.headers["mcp-param-region"] == "eu west"


class ScriptedBoth(ScriptedModern):
    """Speaks both eras until `modern_only` is set (a redeploy): then `initialize` is refused."""

    def __init__(self) -> None:
        super().__init__()
        self.modern_only = False
        self.sessions = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            self.requests.append(request)
            return httpx.Response(200)
        message = json.loads(request.content)
        if message.get("method") != "initialize" or self.modern_only:
            return super().__call__(request)
        self.requests.append(request)
        self.sessions += 1
        result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": {"name": "s"}}
        return httpx.Response(
            200,
            json={"jsonrpc": "2.0", "id": message["id"], "result": result},
            headers={"Mcp-Session-Id": f"session-{self.sessions}"},
        )


async def test_a_legacy_client_falls_back_to_the_modern_era_when_initialize_stops_being_accepted() -> None:
    scripted = ScriptedBoth()
    async with scripted_upstream(scripted) as upstream:
        # The probe's session was closed again, and legacy clients get sessions of their own.
        assert [r.method for r in scripted.requests if r.method == "DELETE"] == ["DELETE"]
        assert upstream.era_for(legacy_client=True) is Era.LEGACY
        assert upstream.era_for(legacy_client=False) is Era.MODERN
        assert await upstream.open_session(CLIENT_CAPABILITIES, legacy_client=True) == "session-2"
        assert await upstream.open_session(CLIENT_CAPABILITIES) == SHARED_SESSION

        scripted.modern_only = True
        assert await upstream.open_session(CLIENT_CAPABILITIES, legacy_client=True) == SHARED_SESSION
        assert upstream.era_for(legacy_client=True) is Era.MODERN
