"""The HTTP+SSE (2024-11-05) upstream: where it posts, what it sends, how it reconnects.

The contract suite (test_contract.py) runs it against the demo server's sse mode; these
tests cover what only this transport has: the `endpoint` event's origin, the configured
headers on both requests, and supervised reconnection."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from authz_mcp.upstream.legacy_sse import ForeignEndpoint, LegacySseUpstream, message_url
from tests.support.gateway import free_port
from tests.support.upstreams import demo_sse_on
from tests.upstream.conftest import CLIENT_CAPABILITIES, sse_config

STREAM = httpx.URL("http://127.0.0.1:8123/sse")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("/messages?session_id=1", "http://127.0.0.1:8123/messages?session_id=1"),
        ("messages?session_id=1", "http://127.0.0.1:8123/messages?session_id=1"),
        ("http://127.0.0.1:8123/m", "http://127.0.0.1:8123/m"),
        ("  /m\n", "http://127.0.0.1:8123/m"),
    ],
)
def test_endpoint_on_the_streams_origin_is_resolved_against_it(endpoint: str, expected: str) -> None:
    assert str(message_url(STREAM, endpoint)) == expected


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://localhost:8123/messages",
        "http://127.0.0.1:8124/messages",
        "https://127.0.0.1:8123/messages",
        "//evil.example/messages",
        "http://evil.example/messages",
    ],
)
def test_endpoint_on_another_origin_is_refused(endpoint: str) -> None:
    with pytest.raises(ForeignEndpoint):
        message_url(STREAM, endpoint)


@dataclass
class Recorder:
    """The requests a hand-written SSE endpoint got: (method, headers, body)."""

    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@asynccontextmanager
async def recording_server(recorder: Recorder, endpoint_host: str) -> AsyncIterator[str]:
    """An SSE endpoint at 127.0.0.1 whose `endpoint` event names its message URL under
    `endpoint_host`; it records every request and refuses every message with 500."""
    port = free_port()

    async def stream(request: Request) -> Response:
        recorder.requests.append((request.method, dict(request.headers), b""))

        async def events() -> AsyncIterator[bytes]:
            yield f"event: endpoint\ndata: http://{endpoint_host}:{port}/messages?session_id=x\n\n".encode()
            await anyio.sleep_forever()

        return StreamingResponse(events(), media_type="text/event-stream")

    async def message(request: Request) -> Response:
        recorder.requests.append((request.method, dict(request.headers), await request.body()))
        return Response(status_code=500)

    app = Starlette(routes=[Route("/sse", stream), Route("/messages", message, methods=["POST"])])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="critical", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    # Listening before the server task starts: a client connecting at once waits in the backlog.
    with socket.create_server(("127.0.0.1", port)) as listening:
        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve, [listening])
            yield f"http://127.0.0.1:{port}/sse"
            server.should_exit = True


async def _start_once(url: str, http_client: httpx.AsyncClient) -> LegacySseUpstream:
    config = sse_config(url, Authorization="Bearer upstream-secret")
    upstream = LegacySseUpstream("recorded", config, http=http_client, client_capabilities={})
    try:
        with anyio.fail_after(20):
            await upstream.start()
    finally:
        await upstream.aclose()
    return upstream


async def test_a_message_url_on_another_origin_gets_nothing_and_the_upstream_stays_down(
    http_client: httpx.AsyncClient,
) -> None:
    recorder = Recorder()
    async with recording_server(recorder, "localhost") as url:
        upstream = await _start_once(url, http_client)
    assert not upstream.available
    assert recorder.requests, "the stream was never opened"
    assert {method for method, _, _ in recorder.requests} == {"GET"}


async def test_configured_headers_go_on_the_stream_and_on_every_message(
    http_client: httpx.AsyncClient,
) -> None:
    recorder = Recorder()
    async with recording_server(recorder, "127.0.0.1") as url:
        upstream = await _start_once(url, http_client)
    assert not upstream.available  # this server refuses every message
    methods = [method for method, _, _ in recorder.requests]
    assert methods[:2] == ["GET", "POST"]
    assert json.loads(recorder.requests[1][2])["method"] == "initialize"
    assert all(headers["authorization"] == "Bearer upstream-secret" for _, headers, _ in recorder.requests)
    assert recorder.requests[0][1]["accept"] == "text/event-stream"
    assert recorder.requests[1][1]["content-type"] == "application/json"


async def test_reconnects_and_initializes_again_when_the_server_comes_back(
    http_client: httpx.AsyncClient,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/sse"
    upstream = LegacySseUpstream(
        "demo", sse_config(url), http=http_client, client_capabilities=CLIENT_CAPABILITIES
    )
    try:
        with demo_sse_on(port):
            with anyio.fail_after(20):
                await upstream.start()
            assert upstream.available
            first = await upstream.request("", "tools/call", {"name": "echo", "arguments": {"text": "one"}})
        with anyio.fail_after(20):
            while upstream.available:
                await anyio.sleep(0.02)
        with demo_sse_on(port), anyio.fail_after(30):
            await upstream.wait_available()
            second = await upstream.request("", "tools/call", {"name": "echo", "arguments": {"text": "two"}})
    finally:
        await upstream.aclose()
    assert "one" in json.dumps(first)
    assert "two" in json.dumps(second)
