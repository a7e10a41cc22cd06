"""The gateway's own session on one Streamable HTTP upstream, and the handshake behind it.

At `start()`, and whenever it is lost: the era is probed (`era.probe`), then a legacy
upstream is initialized (its `Mcp-Session-Id` is the shared session) and a modern one
needs nothing more (no sessions at 2026-07-28; the shared session is ""). Unless the
config pins the era, a modern upstream is also offered `initialize` once: one that accepts
it (and names the session) speaks both eras, and serves legacy clients legacy sessions
(`legacy_too`); the probe's session is closed again. It is re-opened on 404 and retried in
the background while the upstream is down.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import anyio

from authz_mcp.config.model import HttpUpstreamConfig
from authz_mcp.errors import UpstreamTimeout, UpstreamUnavailable
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import MODERN_VERSION
from authz_mcp.upstream import era, rpc
from authz_mcp.upstream.base import SHARED_SESSION, Era
from authz_mcp.upstream.http_wire import WIRE_ERRORS, HttpWire

logger = logging.getLogger(__name__)

_INITIALIZE_TIMEOUT = 30.0
_FIRST_RETRY, _MAX_RETRY = 0.5, 30.0


class SharedSession:
    def __init__(
        self,
        name: str,
        config: HttpUpstreamConfig,
        wire: HttpWire,
        capabilities: JSONObject,
        ids: itertools.count[int],
    ) -> None:
        self.name = name
        self.session_id: str | None = None
        """The gateway's own session id once connected ("" for a stateless or modern upstream)."""
        self.era: Era | None = None
        self.legacy_too = False
        """A modern upstream that also accepts `initialize` and keeps sessions."""
        self.initialize_result: JSONObject | None = None
        self._config = config
        self._wire = wire
        self._capabilities = capabilities
        self._ids = ids
        self._lock = anyio.Lock()
        self._reconnector: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            await self._open()
        except WIRE_ERRORS as exc:
            logger.warning("upstream %s: not reachable yet (%r); retrying in the background", self.name, exc)
            self._reconnect_in_background()

    async def aclose(self) -> None:
        if self._reconnector is not None:
            self._reconnector.cancel()
            await asyncio.wait([self._reconnector])
        shared, self.session_id = self.session_id, None
        if shared:
            with anyio.move_on_after(5.0, shield=True):
                await self._wire.delete(shared)

    def current(self) -> str:
        if self.session_id is None:
            raise UpstreamUnavailable()
        return self.session_id

    async def initialize(self, capabilities: JSONObject) -> tuple[str, JSONObject]:
        """A new legacy session: its id and the InitializeResult."""
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

    async def renew(self, expired: str | None) -> str:
        async with self._lock:
            if self.session_id is None or self.session_id == expired:
                self.session_id = None
                try:
                    await self._open()
                except WIRE_ERRORS:
                    self._reconnect_in_background()
                    raise
            return self.current()

    def lose(self, session_id: str) -> None:
        if self.session_id == session_id:
            self.session_id = None
            self._reconnect_in_background()

    async def _open(self) -> None:
        self.legacy_too = False
        discovered = await era.probe(self._probe, self._config.protocol, self._capabilities)
        self._wire.modern = discovered is not None
        if discovered is not None:
            legacy_too = self._config.protocol == "auto" and await self._accepts_initialize()
            self.era, self.initialize_result, self.session_id = Era.MODERN, discovered, SHARED_SESSION
            self.legacy_too = legacy_too
            also = " and the handshake era (legacy clients get sessions of their own)" if legacy_too else ""
            logger.info("upstream %s: speaks %s%s", self.name, MODERN_VERSION, also)
            return
        session_id, result = await self.initialize(self._capabilities)
        self.era, self.initialize_result, self.session_id = Era.LEGACY, result, session_id
        logger.info("upstream %s: initialized", self.name)

    async def _accepts_initialize(self) -> bool:
        """Whether a modern upstream also serves legacy sessions: one is opened and closed.

        A legacy session costs the official SDK's server less than half the CPU of a
        2026-07-28 request, and a legacy client on it needs no bridging. A stateless legacy
        endpoint (no `Mcp-Session-Id`) does not count: its handle would be the shared one."""
        try:
            with anyio.fail_after(era.PROBE_TIMEOUT):
                session_id, _ = await self.initialize(self._capabilities)
        except (*WIRE_ERRORS, TimeoutError) as exc:
            logger.debug("upstream %s: no legacy sessions (%r)", self.name, exc)
            return False
        if session_id:
            await self._wire.delete(session_id)
        return bool(session_id)

    async def _probe(self, method: str, params: JSONObject) -> JSONObject:
        message = rpc.request(next(self._ids), method, params)
        try:
            with anyio.fail_after(era.PROBE_TIMEOUT):
                result, _ = await self._wire.exchange(None, message, None)
                return result
        except TimeoutError:
            raise UpstreamTimeout() from None

    def _reconnect_in_background(self) -> None:
        if self._reconnector is None or self._reconnector.done():
            loop = asyncio.get_running_loop()
            self._reconnector = loop.create_task(self._reconnect(), name=f"upstream {self.name}")

    async def _reconnect(self) -> None:
        for delay in rpc.backoff(_FIRST_RETRY, _MAX_RETRY):
            await anyio.sleep(delay)
            try:
                async with self._lock:
                    if self.session_id is None:
                        await self._open()
            except WIRE_ERRORS as exc:
                logger.info("upstream %s: still unreachable (%r)", self.name, exc)
            else:
                return
