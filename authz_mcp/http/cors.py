"""CORS for browser-based MCP clients on the origins the config allows.

A page on another origin may only read a reply, and send `Authorization` or the
MCP headers at all, when the server says so (Fetch standard, "CORS protocol").
Only the configured `server.allowed_origins` get that answer: loopback origins
pass the Host/Origin guard for local tools, which do not need CORS.
"""

from __future__ import annotations

from authz_mcp.config import ServerConfig
from authz_mcp.http.asgi import ASGIApp, Message, Receive, Scope, Send, header
from authz_mcp.http.guards import serialized_origin

# What a client must read: the session to resume, the negotiated version, the challenge that
# names the protected-resource metadata.
EXPOSED_HEADERS = "Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate"
ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS"
PREFLIGHT_MAX_AGE = "600"


class Cors:
    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        serialized = (serialized_origin(origin.rstrip("/")) for origin in config.allowed_origins)
        self.origins = {origin for origin in serialized if origin is not None}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = header(scope, b"origin") if scope["type"] == "http" else None
        if origin is None or serialized_origin(origin) not in self.origins:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and header(scope, b"access-control-request-method") is not None:
            await self._preflight(scope, origin, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, scope: Scope, origin: str, send: Send) -> None:
        # The origin is trusted by configuration, so the headers it asks for are granted
        # as asked: `*` would not cover Authorization.
        requested = header(scope, b"access-control-request-headers") or ""
        headers = [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
            (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
            (b"content-length", b"0"),
        ]
        if requested:
            headers.append((b"access-control-allow-headers", requested.encode("latin-1")))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
