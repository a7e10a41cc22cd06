"""Streamable HTTP details checked against a scripted upstream: served by a real HTTP server to the
gateway's aiohttp client, and through an httpx MockTransport to the httpx adapter."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable

import anyio
import httpx
import pytest
from aiohttp import web

from authz_mcp.errors import UpstreamFailed, UpstreamRpcError, UpstreamSessionExpired
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream.base import SHARED_SESSION
from authz_mcp.upstream.http import HttpUpstream
from authz_mcp.upstream.http_client import HttpxClient
from tests.upstream.conftest import http_config
from tests.upstream.sinks import RecordingSink

URL = "http://upstream.test/mcp"
_INIT_RESULT = {
    "protocolVersion": "2025-11-25",
    "capabilities": {},
    "serverInfo": {"name": "fake", "version": "0"},
}


def json_reply(message: JSONObject, result: JSONObject) -> httpx.Response:
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": message["id"], "result": result})


def sse_reply(*events: str) -> httpx.Response:
    body = "".join(f"{event}\n\n" for event in events)
    return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, content=body.encode())


def sse_message(message: JSONObject, event_id: str | None = None) -> str:
    prefix = f"id: {event_id}\n" if event_id else ""
    return f"{prefix}data: {json.dumps(message)}"


class ScriptedUpstream:
    """Sessions like a real upstream; `on_request` and `on_get` script the rest."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.live_sessions: set[str] = set()
        self._session_ids = itertools.count(1)
        self.on_request: Callable[[JSONObject], httpx.Response] = lambda m: json_reply(m, {"tools": []})
        self.on_get: Callable[[httpx.Request], httpx.Response] = lambda r: httpx.Response(405)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        session_id = request.headers.get("mcp-session-id")
        if session_id is not None and session_id not in self.live_sessions:
            return httpx.Response(404)
        if request.method == "GET":
            return self.on_get(request)
        if request.method == "DELETE":
            self.live_sessions.discard(session_id or "")
            return httpx.Response(200)
        message = json.loads(request.content)
        if "method" not in message or "id" not in message:
            return httpx.Response(202)
        if message["method"] == "initialize":
            new_id = f"session-{next(self._session_ids)}"
            self.live_sessions.add(new_id)
            reply = json_reply(message, _INIT_RESULT)
            reply.headers["Mcp-Session-Id"] = new_id
            return reply
        return self.on_request(message)

    def posted(self) -> list[JSONObject]:
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]


@pytest.fixture
def scripted() -> ScriptedUpstream:
    return ScriptedUpstream()


@contextlib.asynccontextmanager
async def served(scripted: ScriptedUpstream) -> AsyncIterator[str]:
    """`scripted` behind a real HTTP server on 127.0.0.1; yields its /mcp URL."""

    async def handle(request: web.Request) -> web.Response:
        scripted_request = httpx.Request(
            request.method, URL, headers=list(request.headers.items()), content=await request.read()
        )
        reply = scripted(scripted_request)
        headers = {k: v for k, v in reply.headers.items() if k.lower() not in ("content-length",)}
        return web.Response(status=reply.status_code, headers=headers, body=reply.content)

    app = web.Application()
    app.router.add_route("*", "/mcp", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        await runner.cleanup()


@pytest.fixture(params=["aiohttp", "httpx-mock"])
async def upstream(request: pytest.FixtureRequest, scripted: ScriptedUpstream) -> AsyncIterator[HttpUpstream]:
    """The gateway's own aiohttp client against a real server, and httpx's MockTransport."""
    headers = {"Authorization": "Bearer gateway-credential", "X-Tenant": "acme"}
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "aiohttp":
            url = await stack.enter_async_context(served(scripted))
            built = HttpUpstream("scripted", http_config(url, **headers), client_capabilities={})
        else:
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.MockTransport(scripted))
            )
            built = HttpUpstream(
                "scripted", http_config(URL, **headers), http=HttpxClient(client), client_capabilities={}
            )
        await built.start()
        yield built
        await built.aclose()


async def test_only_the_configured_and_protocol_headers_are_sent(
    upstream: HttpUpstream, scripted: ScriptedUpstream
) -> None:
    await upstream.request(SHARED_SESSION, "tools/list", None)

    protocol = {"mcp-protocol-version", "mcp-session-id"}
    transport = {
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "user-agent",
        "content-length",
        "content-type",
    }
    initialize, initialized, tools_list = scripted.requests
    for request in scripted.requests:
        assert set(request.headers.keys()) <= transport | protocol | {"authorization", "x-tenant"}
        assert request.headers.get_list("authorization") == ["Bearer gateway-credential"]
        assert request.headers["accept"] == "application/json, text/event-stream"
    assert not protocol & set(initialize.headers.keys())
    for request in (initialized, tools_list):
        assert request.headers["mcp-session-id"] == "session-1"
        assert request.headers["mcp-protocol-version"] == "2025-11-25"


async def test_http_error_with_a_jsonrpc_body_is_an_rpc_error(
    upstream: HttpUpstream, scripted: ScriptedUpstream
) -> None:
    error = {"code": -32600, "message": "Bad Request"}
    scripted.on_request = lambda m: httpx.Response(400, json={"jsonrpc": "2.0", "id": None, "error": error})

    with pytest.raises(UpstreamRpcError) as raised:
        await upstream.request(SHARED_SESSION, "tools/list", None)

    assert raised.value.error == error


async def test_http_error_without_a_jsonrpc_body_is_upstream_failed(
    upstream: HttpUpstream, scripted: ScriptedUpstream
) -> None:
    scripted.on_request = lambda m: httpx.Response(502, text="<html>bad gateway</html>")

    with pytest.raises(UpstreamFailed):
        await upstream.request(SHARED_SESSION, "tools/list", None)


async def test_interrupted_stream_is_resumed_with_last_event_id(
    upstream: HttpUpstream, scripted: ScriptedUpstream, request: pytest.FixtureRequest
) -> None:
    progress = {
        "jsonrpc": "2.0",
        "method": "notifications/progress",
        "params": {"progressToken": 7, "progress": 1},
    }
    ping = {"jsonrpc": "2.0", "id": "server-ping", "method": "ping"}
    pending: list[JSONObject] = []

    def on_request(message: JSONObject) -> httpx.Response:
        pending.append(message)
        # A priming event, then the server closes the connection (basic/transports 2025-11-25).
        return sse_reply("id: e1\nretry: 0\ndata: ", sse_message(progress, "e2"))

    def on_get(request: httpx.Request) -> httpx.Response:
        if request.headers.get("last-event-id") != "e2":
            return httpx.Response(400)
        response = {"jsonrpc": "2.0", "id": pending[0]["id"], "result": {"done": True}}
        return sse_reply(sse_message(ping, "e3"), sse_message(response, "e4"))

    scripted.on_request, scripted.on_get = on_request, on_get
    sink = RecordingSink()

    with anyio.fail_after(5):
        result = await upstream.request(SHARED_SESSION, "tools/call", {"name": "t"}, sink=sink)

    assert result == {"done": True}
    assert sink.messages == [progress]
    if request.node.callspec.params["upstream"] == "httpx-mock":
        # The mock answers the ping's answer at once. Over a real connection the answer may
        # still be in flight when the response ends the request, and is then dropped with the
        # stream's other server->client requests (http_wire.HttpWire._follow).
        assert {"jsonrpc": "2.0", "id": "server-ping", "result": {}} in scripted.posted()


async def test_stream_ending_with_no_response_and_no_event_id_fails(
    upstream: HttpUpstream, scripted: ScriptedUpstream
) -> None:
    log = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "x"}}
    scripted.on_request = lambda m: sse_reply(sse_message(log))

    with anyio.fail_after(5), pytest.raises(UpstreamFailed):
        await upstream.request(SHARED_SESSION, "tools/list", None)


async def test_expired_shared_session_is_renewed_transparently(
    upstream: HttpUpstream, scripted: ScriptedUpstream
) -> None:
    scripted.live_sessions.clear()  # the upstream restarted and forgot every session

    result = await upstream.request(SHARED_SESSION, "tools/list", None)

    assert result == {"tools": []}
    assert [m.get("method") for m in scripted.posted()].count("initialize") == 2
    assert scripted.requests[-1].headers["mcp-session-id"] == "session-2"


async def test_listen_returns_at_once_when_the_upstream_offers_no_get_stream(upstream: HttpUpstream) -> None:
    with anyio.fail_after(5):
        await upstream.listen(SHARED_SESSION)


@pytest.mark.parametrize("handle", ["bad handle", "line\nbreak", "caf\u00e9"])
async def test_a_handle_no_upstream_could_issue_is_expired(upstream: HttpUpstream, handle: str) -> None:
    with pytest.raises(UpstreamSessionExpired):
        await upstream.request(handle, "tools/list", None)
