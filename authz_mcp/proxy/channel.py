"""One MCP session carried by a long-lived connection: the HTTP+SSE transport of
protocol 2024-11-05 (a GET stream plus a message URL) and the WebSocket transport.

Both are message channels in each direction: the client sends requests,
notifications and responses at any time, and everything the gateway sends goes
down one outbox. The session is created by the client's `initialize`, bound to
the user who opened the connection, and ends with the connection. http/ reads
each message off the connection and hands it to `Channel.receive`, its one call
into the proxy per message; requests run concurrently, so a client can answer a
sampling request while its tool call waits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import TaskGroup

from authz_mcp.auth.identity import Identity
from authz_mcp.errors import GatewayError, InvalidRequest, SessionNotFound, jsonrpc_error_response
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import (
    LEGACY_VERSIONS,
    OLDEST_HANDSHAKE,
    Notification,
    Request,
    Response,
    parse_incoming,
)
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.dispatch import Dispatcher
from authz_mcp.proxy.notifications import NotificationRouter
from authz_mcp.proxy.relay import Outbox, PendingClientRequests
from authz_mcp.sessions import SessionRecord, SessionStore

logger = logging.getLogger(__name__)

# Both transports predate Streamable HTTP: a client may still negotiate 2024-11-05 on them.
CHANNEL_VERSIONS = (*LEGACY_VERSIONS, OLDEST_HANDSHAKE)


class NotInitialized(InvalidRequest):
    public_message = "Session not initialized"


@dataclass(frozen=True)
class ChannelServices:
    """What every channel uses, built once by the gateway."""

    dispatcher: Dispatcher
    pending: PendingClientRequests
    """Server->client requests awaiting the client's response."""
    notifications: NotificationRouter
    store: SessionStore
    resolve_session: Callable[[str, Identity], Awaitable[SessionRecord]]
    """The identity's session by id; `SessionNotFound` for anyone else's."""
    end_session: Callable[[SessionRecord], Awaitable[None]]


class Channel:
    def __init__(self, services: ChannelServices, owner: Identity, outbox: Outbox, group: TaskGroup) -> None:
        self._services = services
        self.owner = owner
        self.outbox = outbox
        self._group = group
        self._session_id: str | None = None
        self._initializing = False
        self._open = True

    def stop_receiving(self) -> None:
        """The connection is ending: later messages find no session, like an unknown one."""
        self._open = False

    async def receive(self, identity: Identity, message: Any) -> None:
        """Take one client message; `InvalidRequest` when it is not JSON-RPC.

        The caller has authenticated `identity` and checked it is the channel's owner.
        """
        if not self._open:
            raise SessionNotFound()
        incoming = parse_incoming(message)
        if isinstance(incoming, Response):
            if self._session_id is not None:
                self._services.pending.resolve(self._session_id, incoming.message)
        elif isinstance(incoming, Notification):
            await self._notification(identity, incoming)
        elif incoming.method == "initialize":
            if self._session_id is not None or self._initializing:
                await self.outbox(jsonrpc_error_response(incoming.id, InvalidRequest("Already initialized")))
                return
            self._initializing = True
            self._group.start_soon(self._initialize, identity, incoming)
        else:
            self._group.start_soon(self._request, identity, incoming)

    async def _notification(self, identity: Identity, notification: Notification) -> None:
        if self._session_id is None:
            return  # notifications/initialized and anything before it: nothing to act on
        try:
            session = await self._services.resolve_session(self._session_id, identity)
            call = Call(identity, session, self.outbox, "", notification.method, notification.params)
            await self._services.dispatcher.handle_notification(call)
        except GatewayError as exc:
            logger.info("client notification %s not handled: %s", notification.method, type(exc).__name__)

    async def _initialize(self, identity: Identity, request: Request) -> None:
        call = self._call(identity, None, request)
        response = await self._dispatch(call)
        await self.outbox(response)
        if call.session is not None and "result" in response:
            self._session_id = call.session.session_id
            # Registered once the client holds the initialize result: list changes,
            # resource updates and server->client requests of this session come here.
            await self._services.notifications.attach(identity, call.session, self.outbox, self._group)
        else:
            self._initializing = False

    async def _request(self, identity: Identity, request: Request) -> None:
        if self._session_id is None:
            await self.outbox(jsonrpc_error_response(request.id, NotInitialized()))
            return
        try:
            session = await self._services.resolve_session(self._session_id, identity)
        except GatewayError as exc:
            await self.outbox(jsonrpc_error_response(request.id, exc))
            return
        await self.outbox(await self._dispatch(self._call(identity, session, request)))

    def _call(self, identity: Identity, session: SessionRecord | None, request: Request) -> Call:
        return Call(
            identity,
            session,
            self.outbox,
            request.id,
            request.method,
            request.params,
            versions=CHANNEL_VERSIONS,
        )

    async def _dispatch(self, call: Call) -> JSONObject:
        try:
            return await self._services.dispatcher.dispatch(call)
        except GatewayError as exc:
            # A 5xx (the store is down): on a channel it can only be this request's error.
            return jsonrpc_error_response(call.request_id, exc)

    async def close(self) -> None:
        """End the session with the connection (2024-11-05: the SSE stream is the session)."""
        self._open = False
        session_id, self._session_id = self._session_id, None
        if session_id is None:
            return
        with anyio.CancelScope(shield=True):
            self._services.notifications.detach(session_id, self.outbox)
            try:
                record = await self._services.store.get(session_id)
                if record is not None:
                    await self._services.end_session(record)
            except GatewayError:
                logger.warning("ending a closed connection's session failed; it expires by itself")
