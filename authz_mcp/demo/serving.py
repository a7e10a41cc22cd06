"""Serving the demo server: over stdio, or over Streamable HTTP or 2024-11-05 HTTP+SSE with a
READY line.

`legacy_only` stages an upstream that predates 2026-07-28: over stdio the handshake-only
loop answers `server/discover` as an unknown method; over HTTP a 2026-07-28 request is
refused with 400 and a JSON-RPC error that is not a modern one, as a 2025-era server does.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from mcp.server import Server
from mcp.server.runner import serve_loop
from mcp.server.sse import SseServerTransport
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send


async def serve_stdio(server: Server[Any], *, legacy_only: bool = False) -> None:
    async with stdio_server() as (read_stream, write_stream):
        await serve_streams(server, read_stream, write_stream, legacy_only=legacy_only)


async def serve_streams(
    server: Server[Any],
    read_stream: ReadStream[SessionMessage | Exception],
    write_stream: WriteStream[SessionMessage],
    *,
    legacy_only: bool = False,
) -> None:
    """One client connection over a pair of message streams, as over stdio."""
    if not legacy_only:
        await server.run(read_stream, write_stream, server.create_initialization_options())
        return
    # The handshake-only loop: `server/discover` is an unknown method, as it was before 2026.
    async with server.lifespan(server) as lifespan_state:
        await serve_loop(
            server,
            read_stream,
            write_stream,
            lifespan_state=lifespan_state,
            init_options=server.create_initialization_options(),
        )


def legacy_only_app(app: ASGIApp) -> ASGIApp:
    """Refuse 2026-07-28 requests the way a server that predates that revision does: 400
    with a JSON-RPC error that is not a modern one, so clients fall back to `initialize`."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        version = dict(scope.get("headers", ())).get(b"mcp-protocol-version", b"").decode("latin-1")
        if scope["type"] == "http" and version and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            body = {
                "jsonrpc": "2.0",
                "id": "server-error",
                "error": {"code": -32600, "message": f"Bad Request: Unsupported protocol version: {version}"},
            }
            await JSONResponse(body, status_code=400)(scope, receive, send)
            return
        await app(scope, receive, send)

    return guarded


class _AnnouncingServer(uvicorn.Server):
    """Prints the READY line once uvicorn has finished starting up and is accepting."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            print(f"READY {self._url}", flush=True)


async def serve_http(
    server: Server[Any],
    host: str,
    port: int,
    *,
    json_response: bool,
    stateless: bool,
    legacy_only: bool = False,
) -> None:
    app: ASGIApp = server.streamable_http_app(
        host=host, json_response=json_response, stateless_http=stateless
    )
    if legacy_only:
        app = legacy_only_app(app)
    await _serve_app(app, host, port, "/mcp")


def sse_app(server: Server[Any]) -> ASGIApp:
    """The 2024-11-05 HTTP+SSE transport: `GET /sse`, whose `endpoint` event names
    `POST /messages/?session_id=…`; one server session per SSE connection."""
    transport = SseServerTransport("/messages/")

    async def stream(scope: Scope, receive: Receive, send: Send) -> None:
        async with transport.connect_sse(scope, receive, send) as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    return Starlette(
        routes=[Route("/sse", _Asgi(stream)), Mount("/messages/", app=transport.handle_post_message)]
    )


class _Asgi:
    """A plain ASGI callable for a Route (Starlette wraps functions as request handlers)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


async def serve_sse(server: Server[Any], host: str, port: int) -> None:
    await _serve_app(sse_app(server), host, port, "/sse")


async def _serve_app(app: ASGIApp, host: str, port: int, path: str) -> None:
    # Bind first so port 0 resolves to the real port before the URL is announced.
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose protocol says
    # TCP, and without it every reply written in two parts waits for a delayed ACK (~40 ms).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    # No access log: it goes to stdout, which a launcher may stop reading after READY.
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    await _AnnouncingServer(config, f"http://{url_host}:{bound_port}{path}").serve(sockets=[sock])
