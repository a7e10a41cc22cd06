"""Host and Origin validation (spec basic/transports, "Security Warning").

Servers MUST validate the Origin header on all incoming connections to prevent
DNS rebinding attacks; the Host header is checked for the same reason.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from authz_mcp.config import ServerConfig
from authz_mcp.errors import ForbiddenOrigin
from authz_mcp.http.asgi import ASGIApp, Receive, Scope, Send, header, refuse_upgrade, send_error

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _hostname(authority: str) -> str:
    parts = urlsplit(f"//{authority}")
    return (parts.hostname or "").lower()


class HostOriginGuard:
    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        public = urlsplit(config.base_url)
        self.hosts = (
            LOOPBACK_HOSTS | {h.lower() for h in config.allowed_hosts} | {(public.hostname or "").lower()}
        )
        configured = [*config.allowed_origins, f"{public.scheme}://{public.netloc}"]
        serialized = (serialized_origin(origin.rstrip("/")) for origin in configured)
        self.origins = {origin for origin in serialized if origin is not None}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = header(scope, b"host")
        origin = header(scope, b"origin")
        if (
            host is None
            or _hostname(host) not in self.hosts
            or (origin is not None and not self._origin_allowed(origin))
        ):
            # A browser sends any page's Origin on a WebSocket handshake (no CORS applies):
            # the same check is what stops cross-site WebSocket hijacking.
            if scope["type"] == "websocket":
                await refuse_upgrade(scope, receive, send, ForbiddenOrigin())
            else:
                await send_error(send, ForbiddenOrigin())
            return
        await self.app(scope, receive, send)

    def _origin_allowed(self, origin: str) -> bool:
        serialized = serialized_origin(origin)
        if serialized is None:
            return False
        if serialized in self.origins:
            return True
        match = _ORIGIN.fullmatch(serialized)
        return match is not None and match["host"] in LOOPBACK_HOSTS


# RFC 6454 §6.2: an origin serializes as scheme "://" host [ ":" port ], nothing else. Parsing
# it as a URL would read `http://127.0.0.1:8080.evil.example` as the loopback host.
_ORIGIN = re.compile(r"(?P<scheme>https?)://(?P<host>[a-z0-9.\-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def serialized_origin(origin: str) -> str | None:
    """The RFC 6454 serialization of an origin (lower case, default port left out), or None
    when `origin` is not one (a path, user info, a non-numeric port, `null`...)."""
    match = _ORIGIN.fullmatch(origin.lower())
    if match is None:
        return None
    port = match["port"]
    if port is not None and not 0 < int(port) < 65536:
        return None
    scheme, host = match["scheme"], match["host"]
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{int(port)}"
