"""Requests awaiting their responses on a connection that carries many (stdio).

Ids are the table's own counter, never reused, so a late response from an earlier
process or a cancelled call matches nothing. Each call keeps its sink, so the
messages the server sends while it runs (progress by token, a `subscriptions/listen`
stream's frames by subscription id, anything else when it is the only call) reach it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import anyio

from authz_mcp.errors import GatewayError, UpstreamFailed, UpstreamTimeout
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream.base import MessageSink
from authz_mcp.upstream.rpc import Reply, cancelled, request, result_of

logger = logging.getLogger(__name__)

SUBSCRIPTION_ID_META_KEY = "io.modelcontextprotocol/subscriptionId"


@dataclass(eq=False)
class _Call:
    sink: MessageSink | None
    progress_token: Any
    streaming: bool = False
    """A `subscriptions/listen` request: in flight for as long as its stream lasts."""
    done: anyio.Event = field(default_factory=anyio.Event)
    response: JSONObject | None = None
    delivered: Callable[[], Awaitable[None]] | None = None
    """Awaited before the response is returned: the notifications that came before it."""


class PendingCalls:
    """The calls in flight on one connection, by the ids this table gave them."""

    def __init__(self, send: Reply) -> None:
        self._send = send
        self._ids = count(1)
        self._calls: dict[int, _Call] = {}

    async def call(
        self,
        method: str,
        params: JSONObject | None,
        *,
        sink: MessageSink | None,
        timeout_seconds: float | None,
    ) -> JSONObject:
        request_id = next(self._ids)
        meta = (params or {}).get("_meta")
        token = meta.get("progressToken") if isinstance(meta, dict) else None
        pending = _Call(sink, token, streaming=method == "subscriptions/listen")
        self._calls[request_id] = pending
        try:
            with anyio.fail_after(timeout_seconds):
                await self._send(request(request_id, method, params))
                await pending.done.wait()
                if pending.delivered is not None:
                    await pending.delivered()
        except TimeoutError:
            await self._cancel(request_id, method, "timed out")
            raise UpstreamTimeout() from None
        except anyio.get_cancelled_exc_class():
            await self._cancel(request_id, method, "cancelled")
            raise
        finally:
            del self._calls[request_id]
        if pending.response is None:
            raise UpstreamFailed()
        return result_of(pending.response)

    async def _cancel(self, request_id: int, method: str, reason: str) -> None:
        # basic/utilities/cancellation: "The client MUST NOT attempt to cancel its
        # `initialize` request."
        if method == "initialize":
            return
        with anyio.move_on_after(1.0, shield=True), contextlib.suppress(GatewayError):
            await self._send(cancelled(request_id, reason))

    def settle(self, response: JSONObject, delivered: Callable[[], Awaitable[None]] | None = None) -> None:
        """Wake the caller of this response; `delivered` first, where notifications came before it."""
        request_id = response.get("id")
        pending = self._calls.get(request_id) if isinstance(request_id, int) else None
        if pending is None:
            logger.debug("dropped a response to no pending request (id %r)", request_id)
            return
        pending.response = response
        pending.delivered = delivered
        pending.done.set()

    def fail_all(self) -> None:
        """The connection is gone: every waiting call fails now with `UpstreamFailed`."""
        for pending in self._calls.values():
            pending.done.set()

    def sink_for_progress(self, message: JSONObject) -> MessageSink | None:
        # basic/utilities/progress: the token is unique across active requests, so
        # this attribution is exact.
        params = message.get("params")
        token = params.get("progressToken") if isinstance(params, dict) else None
        if token is None:
            return None
        return next((c.sink for c in self._calls.values() if c.progress_token == token), None)

    def sink_for_subscription(self, message: JSONObject) -> MessageSink | None:
        # 2026-07-28: every frame of a listen stream carries the listen request's id in
        # `_meta["io.modelcontextprotocol/subscriptionId"]`.
        params = message.get("params")
        meta = params.get("_meta") if isinstance(params, dict) else None
        request_id = meta.get(SUBSCRIPTION_ID_META_KEY) if isinstance(meta, dict) else None
        pending = self._calls.get(request_id) if isinstance(request_id, int) else None
        return pending.sink if pending is not None and pending.streaming else None

    def only_sink(self) -> MessageSink | None:
        """The sink of the one request in flight that has one, when there is exactly one.

        Requests without a sink (the gateway's own list fetches) and listen streams do not
        count: a catalog refresh running beside a user's call must not leave the messages
        of that call, such as the sampling request it makes, without a recipient.
        """
        calls = [pending for pending in self._calls.values() if not pending.streaming and pending.sink]
        if len(calls) != 1:
            return None
        return calls[0].sink
