"""Notifications a transport's reader received, delivered in order by a task of their own.

A reader must never await what a notification leads to (a catalog refresh, a policy
look-up, a slow client): that work may itself wait for a response that only the reader
can deliver, and the connection would stop. So the reader puts each notification here,
with its recipient decided at arrival, and goes on reading; `run` delivers them in the
order they came. A caller whose response arrived after some notifications waits for
those to be delivered first (`caught_up`), so progress still reaches a client before
the result it belongs to (basic/utilities/progress).
"""

from __future__ import annotations

import logging

import anyio

from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream import rpc
from authz_mcp.upstream.base import MessageSink

logger = logging.getLogger(__name__)

MAX_QUEUED = 10_000
"""Past this many undelivered notifications the connection's recipients are stuck; the
reader drops further ones (logged) rather than grow without bound or stop reading."""


class Inbox:
    def __init__(self, name: str, limit: int = MAX_QUEUED) -> None:
        self.name = name
        self._send, self._receive = anyio.create_memory_object_stream[tuple[JSONObject, MessageSink | None]](
            limit
        )
        self.received = 0
        """Notifications taken in so far (dropped ones included): the mark `caught_up` waits for."""
        self._delivered = 0
        self._closed = False
        self._progress = anyio.Event()

    def put(self, message: JSONObject, target: MessageSink | None) -> None:
        """Queue one notification; never blocks."""
        self.received += 1
        try:
            self._send.send_nowait((message, target))
        except anyio.WouldBlock:
            method = message.get("method")
            logger.warning("upstream %s: dropped %s, its recipients are not keeping up", self.name, method)
            self._advance()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            # The delivering task has ended (its request was cancelled): nobody is left to
            # receive this, and the reader must not fail for it.
            logger.debug("upstream %s: dropped %s after its request ended", self.name, message.get("method"))
            self._closed = True

    async def run(self) -> None:
        """Deliver queued notifications, in order, until cancelled; then nobody waits any more."""
        try:
            async with self._receive:
                async for message, target in self._receive:
                    await rpc.deliver(message, target)
                    self._advance()
        finally:
            self._closed = True
            self._progress.set()

    async def caught_up(self, mark: int) -> None:
        """Return once the first `mark` notifications have been delivered (or the inbox closed)."""
        while self._delivered < mark and not self._closed:
            await self._progress.wait()

    def _advance(self) -> None:
        self._delivered += 1
        self._progress.set()
        self._progress = anyio.Event()
