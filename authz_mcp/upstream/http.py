"""An upstream reached over MCP Streamable HTTP (spec 2025-11-25, basic/transports).

Session handles are the upstream's `Mcp-Session-Id` values ("" for a stateless
upstream), so any replica can resume one. The gateway's own session
(`SHARED_SESSION`, for catalog fetches) is opened at `start()`, re-opened on
404, and retried in the background while the upstream is down. The only
headers sent are the protocol's and the configured ones (the gateway's
credentials for this upstream); nothing from a downstream request reaches here.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging

import anyio
import httpx
from anyio.abc import TaskGroup, TaskStatus

from authz_mcp.config.model import HttpUpstreamConfig
from authz_mcp.errors import UpstreamFailed, UpstreamTimeout, UpstreamUnavailable
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream import rpc, sse
from authz_mcp.upstream.base import SHARED_SESSION, MessageSink, UnsolicitedHandler, UpstreamSessionExpired
from authz_mcp.upstream.http_wire import WIRE_ERRORS, HttpWire, valid_session_id

logger = logging.getLogger(__name__)

_INITIALIZE_TIMEOUT = 30.0
_FIRST_RETRY, _MAX_RETRY = 0.5, 30.0


class HttpUpstream:
    def __init__(
        self,
        name: str,
        config: HttpUpstreamConfig,
        *,
        http: httpx.AsyncClient,
        client_capabilities: JSONObject,
    ) -> None:
        self.name = name
        self._config = config
        self._wire = HttpWire(name, config, http)
        self._capabilities = client_capabilities
        self._ids = itertools.count(1)
        self._shared: str | None = None  # the gateway's own session id, once initialized
        self._shared_lock = anyio.Lock()
        self._initialize_result: JSONObject | None = None
        self._handler: UnsolicitedHandler | None = None
        self._reconnector: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        return self._shared is not None

    @property
    def initialize_result(self) -> JSONObject | None:
        return self._initialize_result

    def set_unsolicited_handler(self, handler: UnsolicitedHandler) -> None:
        self._handler = handler

    async def start(self) -> None:
        try:
            await self._open_shared()
        except WIRE_ERRORS as exc:
            logger.warning("upstream %s: not reachable yet (%r); retrying in the background", self.name, exc)
            self._reconnect_in_background()

    async def aclose(self) -> None:
        if self._reconnector is not None:
            self._reconnector.cancel()
            await asyncio.wait([self._reconnector])
        shared, self._shared = self._shared, None
        if shared:
            with anyio.move_on_after(5.0, shield=True):
                await self._wire.delete(shared)

    async def open_session(self, client_capabilities: JSONObject, resume: str | None = None) -> str:
        if resume is not None:
            return resume  # trusted: a 404 on its first use raises UpstreamSessionExpired
        session_id, _ = await self._initialize(client_capabilities)
        return session_id

    async def close_session(self, handle: str) -> None:
        if handle != SHARED_SESSION:
            await self._wire.delete(handle)

    async def notify(self, handle: str, method: str, params: JSONObject | None) -> None:
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
        session_id = self._session_id(handle)
        try:
            return await self._call(session_id, method, params, target, deadline)
        except UpstreamSessionExpired:
            if handle != SHARED_SESSION:
                raise
            # "When a client receives HTTP 404 in response to a request containing an
            # MCP-Session-Id, it MUST start a new session by sending a new InitializeRequest"
            session_id = await self._renew_shared(session_id)
            return await self._call(session_id, method, params, target, deadline)
        except UpstreamUnavailable:
            if handle == SHARED_SESSION:
                self._lose_shared(session_id)
            raise

    async def listen(self, handle: str, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """The GET stream of `handle`, reconnected (with `Last-Event-ID`) until cancelled.

        With `await tg.start(upstream.listen, handle)`, the start returns once the
        stream is open (or the upstream has refused to offer one).
        """
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
            try:
                session_id = self._session_id(handle)
                if stream is None or session_id != listened:  # a renewed session starts afresh
                    reply = functools.partial(self._wire.reply, session_id)
                    stream = sse.MessageStream(tg, self._target(handle, None), reply, None)
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
                    await self._renew_shared(listened)
            retry = stream.decoder.retry_ms if stream is not None else None
            await anyio.sleep(retry / 1000 if retry is not None else next(delays))

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
        # "Disconnection SHOULD NOT be interpreted as the client cancelling its request.
        # To cancel, the client SHOULD explicitly send an MCP CancelledNotification."
        with anyio.move_on_after(2.0, shield=True):
            await self._wire.reply(session_id, rpc.cancelled(message["id"], reason))

    def _target(self, handle: str, sink: MessageSink | None) -> MessageSink | None:
        if sink is not None:
            return sink
        handler = self._handler
        return None if handler is None else functools.partial(handler, handle)

    async def _initialize(self, capabilities: JSONObject) -> tuple[str, JSONObject]:
        message = rpc.request(next(self._ids), "initialize", rpc.initialize_params(capabilities))
        try:
            with anyio.fail_after(_INITIALIZE_TIMEOUT):
                result, session_id = await self._wire.exchange(None, message, None)
                self._wire.protocol_version = rpc.negotiated_version(result)
                # lifecycle: "After successful initialization, the client MUST send an
                # initialized notification to indicate it is ready to begin normal operations."
                await self._wire.post(session_id, rpc.notification("notifications/initialized"))
        except TimeoutError:
            raise UpstreamTimeout() from None
        return session_id, result

    def _session_id(self, handle: str) -> str:
        if handle != SHARED_SESSION:
            if not valid_session_id(handle):
                raise UpstreamSessionExpired()  # not a handle this upstream could have issued
            return handle
        if self._shared is None:
            raise UpstreamUnavailable()
        return self._shared

    async def _open_shared(self) -> None:
        session_id, result = await self._initialize(self._capabilities)
        self._initialize_result = result
        self._shared = session_id
        logger.info("upstream %s: initialized", self.name)

    async def _renew_shared(self, expired: str | None) -> str:
        async with self._shared_lock:
            if self._shared is None or self._shared == expired:
                self._shared = None
                try:
                    await self._open_shared()
                except WIRE_ERRORS:
                    self._reconnect_in_background()
                    raise
            return self._session_id(SHARED_SESSION)

    def _lose_shared(self, session_id: str) -> None:
        if self._shared == session_id:
            self._shared = None
            self._reconnect_in_background()

    def _reconnect_in_background(self) -> None:
        if self._reconnector is None or self._reconnector.done():
            loop = asyncio.get_running_loop()
            self._reconnector = loop.create_task(self._reconnect(), name=f"upstream {self.name}")

    async def _reconnect(self) -> None:
        for delay in rpc.backoff(_FIRST_RETRY, _MAX_RETRY):
            await anyio.sleep(delay)
            try:
                async with self._shared_lock:
                    if self._shared is None:
                        await self._open_shared()
            except WIRE_ERRORS as exc:
                logger.info("upstream %s: still unreachable (%r)", self.name, exc)
            else:
                return
