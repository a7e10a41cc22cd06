"""An upstream reached over MCP Streamable HTTP (2025-11-25 and 2026-07-28, basic/transports).

Session handles are the upstream's `Mcp-Session-Id` values ("" for a stateless
upstream), so any replica can resume one. The gateway's own session
(`SHARED_SESSION`, for catalog fetches) is kept by `SharedSession`, which also
decides the era. A modern upstream has no sessions: every handle is the shared one,
and change notifications come from the gateway's `subscriptions/listen` stream.
An upstream that speaks both eras (it answers `server/discover` and accepts
`initialize` too) is spoken to in the client's: a legacy client gets a legacy session
of its own, so nothing is bridged, and its handle is that session's id; the shared
handle, modern clients and catalog fetches speak the modern era.
The only headers sent are the protocol's and the configured ones (the gateway's
credentials for this upstream); nothing from a downstream request reaches here.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging

import anyio
from anyio.abc import TaskGroup, TaskStatus

from authz_mcp.config.model import HttpUpstreamConfig
from authz_mcp.errors import (
    UpstreamFailed,
    UpstreamRejected,
    UpstreamRpcError,
    UpstreamSessionExpired,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream import rpc, sse
from authz_mcp.upstream.base import SHARED_SESSION, Era, MessageSink, UnsolicitedHandler
from authz_mcp.upstream.http_client import AiohttpClient, WireClient
from authz_mcp.upstream.http_session import SharedSession
from authz_mcp.upstream.http_wire import WIRE_ERRORS, HttpWire, valid_session_id
from authz_mcp.upstream.listen import SubscriptionStream
from authz_mcp.upstream.modern import ParamHeaders, modern_request

logger = logging.getLogger(__name__)

_FIRST_RETRY, _MAX_RETRY = 0.5, 30.0


class HttpUpstream:
    def __init__(
        self,
        name: str,
        config: HttpUpstreamConfig,
        *,
        client_capabilities: JSONObject,
        http: WireClient | None = None,
    ) -> None:
        """`http`: lent by the caller (tests script upstreams with it); by default the
        upstream owns a pooled aiohttp client, closed by `aclose`."""
        self.name = name
        self._config = config
        self._own_http: AiohttpClient | None = None
        if http is None:
            http = self._own_http = AiohttpClient()
        self._wire = HttpWire(name, config, http)
        self._ids = itertools.count(1)
        self._shared = SharedSession(name, config, self._wire, client_capabilities, self._ids)
        self._handler: UnsolicitedHandler | None = None
        self._subscriptions = SubscriptionStream(name, self.request, self._deliver_shared)
        self._param_headers = ParamHeaders()
        self._wire.param_headers = self._param_headers.for_message

    @property
    def available(self) -> bool:
        return self._shared.session_id is not None

    @property
    def initialize_result(self) -> JSONObject | None:
        return self._shared.initialize_result

    @property
    def era(self) -> Era | None:
        return self._shared.era if self.available else None

    def era_for(self, *, legacy_client: bool) -> Era | None:
        if legacy_client and self._shared.legacy_too and self.available:
            return Era.LEGACY
        return self.era

    def set_unsolicited_handler(self, handler: UnsolicitedHandler) -> None:
        self._handler = handler

    async def start(self) -> None:
        await self._shared.start()

    async def aclose(self) -> None:
        await self._shared.aclose()
        if self._own_http is not None:
            await self._own_http.aclose()

    async def open_session(
        self, client_capabilities: JSONObject, resume: str | None = None, *, legacy_client: bool = False
    ) -> str:
        if self._shared.era is Era.MODERN and not (legacy_client and self._shared.legacy_too):
            self._session_id(SHARED_SESSION)  # raises while the upstream is down
            return SHARED_SESSION  # no sessions at 2026-07-28
        if resume is not None:
            return resume  # trusted: a 404 on its first use raises UpstreamSessionExpired
        try:
            session_id, _ = await self._shared.initialize(client_capabilities)
        except (UpstreamRpcError, UpstreamRejected) as exc:
            if self._shared.era is not Era.MODERN:
                raise
            # Redeployed since the probe, and speaking the modern era only: legacy clients
            # are bridged from now on, this one included.
            logger.warning(
                "upstream %s: no longer accepts initialize (%r); legacy clients are bridged", self.name, exc
            )
            self._shared.legacy_too = False
            return SHARED_SESSION
        return session_id

    async def close_session(self, handle: str) -> None:
        if handle != SHARED_SESSION:
            await self._wire.delete(handle)

    def probe(self, client_capabilities: JSONObject) -> None:
        return None  # each user's session declares its client's capabilities

    async def notify(self, handle: str, method: str, params: JSONObject | None) -> None:
        if self._modern(handle):
            return  # 2026-07-28 "defines no client-to-server notifications over Streamable HTTP"
        await self._wire.post(self._session_id(handle), rpc.notification(method, params))

    async def request(
        self,
        handle: str,
        method: str,
        params: JSONObject | None,
        *,
        sink: MessageSink | None = None,
        timeout: float | None = None,
    ) -> JSONObject:
        deadline = self._config.timeout_seconds if timeout is None else timeout
        target = self._target(handle, sink)
        modern = self._modern(handle)
        session_id = self._session_id(SHARED_SESSION if modern else handle)
        try:
            if modern:
                send = functools.partial(self._call, session_id, method, target=target, deadline=deadline)
                return await modern_request(self._subscriptions, self._param_headers, method, params, send)
            return await self._call(session_id, method, params, target, deadline)
        except UpstreamSessionExpired:
            if handle != SHARED_SESSION:
                raise
            # "When a client receives HTTP 404 in response to a request containing an
            # MCP-Session-Id, it MUST start a new session by sending a new InitializeRequest"
            session_id = await self._shared.renew(session_id)
            return await self._call(session_id, method, params, target, deadline)
        except UpstreamUnavailable:
            if handle == SHARED_SESSION:
                self._shared.lose(session_id)
            raise

    async def listen(self, handle: str, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """The GET stream of `handle`, reconnected (with `Last-Event-ID`) until cancelled.

        With `await tg.start(upstream.listen, handle)`, the start returns once the
        stream is open (or the upstream has refused to offer one).
        """
        if self._modern(handle):
            return await self._listen_modern(handle, task_status)
        outcome: Exception | None = None
        async with anyio.create_task_group() as tg:
            try:
                await self._listen_until_refused(handle, tg, task_status)
            except WIRE_ERRORS as exc:  # raised below, outside the task group
                outcome = exc
            tg.cancel_scope.cancel()
        if outcome is not None:
            raise outcome

    async def _listen_until_refused(self, handle: str, tg: TaskGroup, task_status: TaskStatus[None]) -> None:
        opened = anyio.Event()

        def on_open() -> None:
            if not opened.is_set():
                opened.set()
                task_status.started()

        delays = rpc.backoff(_FIRST_RETRY, _MAX_RETRY)
        stream: sse.MessageStream | None = None
        listened: str | None = None
        while True:
            if self._modern(handle):
                on_open()
                if handle == SHARED_SESSION:
                    await self._subscriptions.run()
                return
            try:
                session_id = self._session_id(handle)
                if stream is None or session_id != listened:  # a renewed session starts afresh
                    reply = functools.partial(self._wire.reply, session_id)
                    stream = sse.MessageStream(tg, self._target(handle, None), reply, None, name=self.name)
                    listened = session_id
                if not await self._wire.listen_once(session_id, stream, on_open):
                    on_open()
                    return
                delays = rpc.backoff(_FIRST_RETRY, _MAX_RETRY)
            except (UpstreamUnavailable, UpstreamFailed) as exc:
                logger.info("upstream %s: GET stream interrupted (%r); reconnecting", self.name, exc)
            except UpstreamSessionExpired:
                if handle != SHARED_SESSION:
                    raise
                with contextlib.suppress(*WIRE_ERRORS):
                    await self._shared.renew(listened)
            retry = stream.decoder.retry_ms if stream is not None else None
            await anyio.sleep(retry / 1000 if retry is not None else next(delays))

    async def _listen_modern(self, handle: str, task_status: TaskStatus[None]) -> None:
        if handle != SHARED_SESSION:
            task_status.started()  # no per-session streams at 2026-07-28
            return
        await self._subscriptions.run(task_status=task_status)

    async def _deliver_shared(self, message: JSONObject) -> None:
        if self._handler is not None:
            await self._handler(SHARED_SESSION, message)

    async def _call(
        self,
        session_id: str,
        method: str,
        params: JSONObject | None,
        target: MessageSink | None,
        deadline: float | None,
    ) -> JSONObject:
        message = rpc.request(next(self._ids), method, params)
        try:
            with anyio.fail_after(deadline):
                result, _ = await self._wire.exchange(session_id, message, target)
                return result
        except TimeoutError:
            await self._cancel(session_id, message, "timed out")
            raise UpstreamTimeout() from None
        except anyio.get_cancelled_exc_class():
            await self._cancel(session_id, message, "cancelled")
            raise

    async def _cancel(self, session_id: str, message: JSONObject, reason: str) -> None:
        if self._wire.speaks_modern(session_id):
            return  # 2026-07-28: "Closing the SSE response stream MUST be treated ... as cancellation"
        # "Disconnection SHOULD NOT be interpreted as the client cancelling its request.
        # To cancel, the client SHOULD explicitly send an MCP CancelledNotification."
        with anyio.move_on_after(2.0, shield=True):
            await self._wire.reply(session_id, rpc.cancelled(message["id"], reason))

    def _modern(self, handle: str) -> bool:
        """Whether requests on `handle` speak 2026-07-28: every handle of a modern upstream,
        except a legacy session of its own that one speaking both eras gave a legacy client."""
        if self._shared.era is not Era.MODERN:
            return False
        return handle == SHARED_SESSION or not self._shared.legacy_too

    def _target(self, handle: str, sink: MessageSink | None) -> MessageSink | None:
        if sink is not None:
            return sink
        handler = self._handler
        return None if handler is None else functools.partial(handler, handle)

    def _session_id(self, handle: str) -> str:
        if handle != SHARED_SESSION:
            if not valid_session_id(handle):
                raise UpstreamSessionExpired()  # not a handle this upstream could have issued
            return handle
        return self._shared.current()
