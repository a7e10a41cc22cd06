"""Host and Origin validation (spec basic/transports, "Security Warning").

Servers MUST validate the Origin header on all incoming connections to prevent
DNS rebinding attacks; the Host header is checked for the same reason.
"""

from __future__ import annotations

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
        self.origins = {o.rstrip("/").lower() for o in config.allowed_origins}
        self.origins.add(f"{public.scheme}://{public.netloc}".lower())

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
        origin = origin.rstrip("/").lower()
        if origin in self.origins:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS
