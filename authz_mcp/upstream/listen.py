"""The gateway's own `subscriptions/listen` stream on a modern upstream.

2026-07-28 basic/patterns/subscriptions: a modern server sends list changes and
resource updates only on the response stream of a `subscriptions/listen`
request, and only those the request's filter asked for. The gateway keeps one
such stream per modern upstream: every list change, and `resources/updated` for
the union of the URIs its clients subscribed to. A `resources/subscribe` from a
client becomes a change of this filter; the stream is then reopened, and the
subscription holds once the upstream acknowledges the new filter.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

import anyio
from anyio.abc import TaskStatus

from authz_mcp.errors import (
    METHOD_NOT_FOUND,
    AuthzMcpError,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream import rpc
from authz_mcp.upstream.base import SHARED_SESSION, MessageSink
from authz_mcp.upstream.era import without_reserved

logger = logging.getLogger(__name__)

METHOD = "subscriptions/listen"
ACKNOWLEDGED = "notifications/subscriptions/acknowledged"
_ACK_TIMEOUT = 5.0
_FIRST_RETRY, _MAX_RETRY = 0.5, 30.0

Request = Callable[..., Awaitable[JSONObject]]
"""`Upstream.request`, bound to the upstream that holds the stream."""
Deliver = Callable[[JSONObject], Awaitable[object]]


class SubscriptionStream:
    def __init__(self, name: str, request: Request, deliver: Deliver) -> None:
        self.name = name
        self._request = request
        self._deliver = deliver
        self._uris: set[str] = set()
        self._generation = 0
        self._acked = -1
        self._acked_changed = anyio.Event()
        self._current: anyio.CancelScope | None = None

    async def subscribe(self, uri: str) -> JSONObject:
        """The answer to a `resources/subscribe`: once the upstream heard of it (bounded).

        Like a handshake-era connection, the stream is subscribed to a URI or not: the
        proxy unsubscribes only when no client of this shared stream wants it any more.
        """
        if uri not in self._uris:
            self._uris.add(uri)
            await self._reopen()
        return {}

    async def unsubscribe(self, uri: str) -> JSONObject:
        if uri in self._uris:
            self._uris.discard(uri)
            await self._reopen()
        return {}

    def _filter(self) -> JSONObject:
        notifications: JSONObject = {
            "toolsListChanged": True,
            "promptsListChanged": True,
            "resourcesListChanged": True,
        }
        if self._uris:
            notifications["resourceSubscriptions"] = sorted(self._uris)
        return {"notifications": notifications}

    async def _reopen(self) -> None:
        self._generation += 1
        wanted = self._generation
        if self._current is None:
            return  # not listening (yet): the next stream opens with the new filter
        self._current.cancel()
        with anyio.move_on_after(_ACK_TIMEOUT):
            while self._acked < wanted:
                await self._acked_changed.wait()
        if self._acked < wanted:
            logger.warning("upstream %s: the new subscription filter was not acknowledged", self.name)

    async def run(self, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Hold the stream until cancelled: reopened on filter changes, retried when it ends."""
        started = False

        def mark_started() -> None:
            nonlocal started
            if not started:
                started = True
                task_status.started()

        delays = rpc.backoff(_FIRST_RETRY, _MAX_RETRY)
        while True:
            generation = self._generation
            with anyio.CancelScope() as scope:
                self._current = scope
                try:
                    # The response arrives only when the stream ends: no deadline.
                    sink = self._sink(generation, mark_started)
                    await self._request(SHARED_SESSION, METHOD, self._filter(), sink=sink, timeout=math.inf)
                except AuthzMcpError as exc:
                    logger.info("upstream %s: subscription stream failed (%r)", self.name, exc)
                finally:
                    self._current = None
            if scope.cancelled_caught:
                continue  # reopened for a new filter
            mark_started()
            await anyio.sleep(next(delays))

    def _sink(self, generation: int, mark_started: Callable[[], None]) -> MessageSink:
        async def on_message(message: JSONObject) -> JSONObject | None:
            method = message.get("method")
            if "id" in message:
                # "The server MUST NOT send independent JSON-RPC requests" at 2026-07-28.
                return rpc.error_response(message["id"], METHOD_NOT_FOUND, "Method not found")
            if method == ACKNOWLEDGED:
                self._acked = max(self._acked, generation)
                self._acked_changed.set()
                self._acked_changed = anyio.Event()
                mark_started()
                return None
            params = message.get("params")
            if isinstance(params, dict) and "_meta" in params:
                # The subscription id is this stream's business, not the clients'.
                rest = {key: value for key, value in params.items() if key != "_meta"}
                meta = without_reserved(params["_meta"])
                message = {**message, "params": {**rest, "_meta": meta} if meta else rest}
            await self._deliver(message)
            return None

        return on_message
