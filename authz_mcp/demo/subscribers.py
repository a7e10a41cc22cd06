"""Who asked to hear about which resource (handshake-era ``resources/subscribe``).

A subscription belongs to a connection, not to the request that made it, so it is keyed by the
transport's connection identity: the ``Mcp-Session-Id`` header on streamable HTTP, and the one
process-wide connection on stdio.

The SDK tells a request handler nothing when a connection ends, so a client that leaves without
unsubscribing stays registered; the SDK drops what is sent to a closed session.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession

logger = logging.getLogger(__name__)

# stdio serves a single connection per process; so does one stateless HTTP exchange.
_SOLE_CONNECTION = "sole"


def connection_key(ctx: ServerRequestContext[Any, Any]) -> str:
    headers = getattr(ctx.request, "headers", None)
    session_id = headers.get("mcp-session-id") if headers is not None else None
    return session_id if isinstance(session_id, str) else _SOLE_CONNECTION


class ResourceSubscribers:
    def __init__(self) -> None:
        self._by_uri: dict[str, dict[str, ServerSession]] = {}

    def subscribe(self, uri: str, ctx: ServerRequestContext[Any, Any]) -> None:
        self._by_uri.setdefault(uri, {})[connection_key(ctx)] = ctx.session

    def unsubscribe(self, uri: str, ctx: ServerRequestContext[Any, Any]) -> None:
        subscribers = self._by_uri.get(uri, {})
        subscribers.pop(connection_key(ctx), None)
        if not subscribers:
            self._by_uri.pop(uri, None)

    async def notify_updated(self, uri: str) -> int:
        """Send ``notifications/resources/updated`` to each subscriber of ``uri``; how many there were."""
        reached = 0
        for key, session in list(self._by_uri.get(uri, {}).items()):
            try:
                await session.send_resource_updated(uri)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                logger.info("dropping subscriber %s of %s: connection closed", key, uri)
                self._by_uri.get(uri, {}).pop(key, None)
            else:
                reached += 1
        return reached
