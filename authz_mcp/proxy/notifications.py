"""Upstream-initiated messages, delivered only to clients entitled to them.

- `*/list_changed`: the catalog is refetched, and each client with an open
  stream whose permitted view of that kind changed is told (`list_changes`).
- `resources/updated`: to the sessions subscribed to the URI that may read it, with the
  URI in canonical form, the form subscriptions are held under.
- log messages and server->client requests on a per-session upstream stream:
  to that session; on the shared stdio connection they cannot be attributed,
  so requests are refused and logs dropped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping

import anyio
from anyio.abc import TaskGroup, TaskStatus

from authz_mcp.auth.identity import Identity
from authz_mcp.errors import AuthzMcpError
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.policy import UriRefusal, canonical_uri
from authz_mcp.proxy.capsets import capset_of
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.list_changes import ListChanges, RequestRefresh, ViewNow
from authz_mcp.proxy.relay import Outbox, PendingClientRequests, RequestRelay
from authz_mcp.proxy.resource_access import resource_access
from authz_mcp.sessions import SessionRecord
from authz_mcp.upstream.base import MessageSink, UnsolicitedHandler, Upstream, is_shared

logger = logging.getLogger(__name__)

_LISTEN_OPEN_TIMEOUT = 5.0

_LIST_CHANGED: dict[str, tuple[Kind, ...]] = {
    "notifications/tools/list_changed": (Kind.TOOLS,),
    "notifications/prompts/list_changed": (Kind.PROMPTS,),
    "notifications/resources/list_changed": (Kind.RESOURCES, Kind.TEMPLATES),
}


class _Listener:
    def __init__(self, identity: Identity, record: SessionRecord, outbox: Outbox, group: TaskGroup) -> None:
        self.identity = identity
        self.record = record
        self.outbox = outbox
        self.group = group
        self.capset = capset_of(record.client_capabilities)
        self.listening: set[tuple[str, str]] = set()


class NotificationRouter:
    def __init__(
        self,
        upstreams: Mapping[str, Upstream],
        timeouts: Mapping[str, float],
        pending: PendingClientRequests,
        view_now: ViewNow,
        request_refresh: RequestRefresh,
    ) -> None:
        self._upstreams = upstreams
        self._timeouts = timeouts
        self._pending = pending
        self._view_now = view_now
        self._listeners: dict[str, _Listener] = {}
        self._handle_owner: dict[tuple[str, str], str] = {}
        self.subscribers: dict[str, set[str]] = defaultdict(set)
        self.changes = ListChanges(request_refresh, view_now, self._listeners)

    # --- registration --------------------------------------------------------------

    async def attach(
        self, identity: Identity, record: SessionRecord, outbox: Outbox, group: TaskGroup
    ) -> None:
        """A client opened its stream for server-initiated messages (the GET stream).

        The session's upstream streams are listened to in `group` for as long as the
        client's stream stays open, including upstream sessions opened later.
        """
        listener = _Listener(identity, record, outbox, group)
        self._listeners[record.session_id] = listener
        for uri in record.subscriptions:
            self.subscribers[uri].add(record.session_id)
        for name, handle in record.upstream_sessions.items():
            await self._listen(listener, name, handle)

    async def _listen(self, listener: _Listener, upstream: str, handle: str) -> None:
        """Listen to one upstream session's stream; returns once it is open (bounded),
        so a request forwarded next cannot trigger a message that nobody hears."""
        if is_shared(handle) or (upstream, handle) in listener.listening:
            return
        target = self._upstreams.get(upstream)
        if target is None:
            return
        listener.listening.add((upstream, handle))
        with anyio.move_on_after(_LISTEN_OPEN_TIMEOUT):
            await listener.group.start(listen_quietly, target, handle)

    def detach(self, session_id: str, outbox: Outbox) -> None:
        listener = self._listeners.get(session_id)
        # `==`, not `is`: a bound method is a new object on every attribute access.
        if listener is not None and listener.outbox == outbox:
            del self._listeners[session_id]

    async def bind_handle(self, upstream: str, handle: str, session_id: str) -> None:
        if not is_shared(handle):
            self._handle_owner[(upstream, handle)] = session_id
            listener = self._listeners.get(session_id)
            if listener is not None:
                await self._listen(listener, upstream, handle)

    async def forget_session(self, record: SessionRecord) -> None:
        self._listeners.pop(record.session_id, None)
        for name, handle in record.upstream_sessions.items():
            self._handle_owner.pop((name, handle), None)
        for sessions in self.subscribers.values():
            sessions.discard(record.session_id)

    def stream_of(self, session_id: str) -> Outbox | None:
        listener = self._listeners.get(session_id)
        return listener.outbox if listener is not None else None

    # --- delivery ------------------------------------------------------------------

    def handler_for(self, upstream: str) -> UnsolicitedHandler:
        async def handle(handle: str, message: JSONObject) -> JSONObject | None:
            return await self._route(upstream, handle, message)

        return handle

    def handler_for_request(self, upstream: str, handle: str) -> MessageSink:
        async def handle_message(message: JSONObject) -> JSONObject | None:
            return await self._route(upstream, handle, message)

        return handle_message

    async def _route(self, upstream: str, handle: str, message: JSONObject) -> JSONObject | None:
        method = message.get("method")
        if not isinstance(method, str):
            return None
        if "id" in message:
            return await self._server_request(upstream, handle, message)
        if method in _LIST_CHANGED:
            self.changes.announced(upstream, _LIST_CHANGED[method])
        elif method == "notifications/resources/updated":
            await self._resource_updated(message)
        elif method == "notifications/message" and not is_shared(handle):
            owner = self._handle_owner.get((upstream, handle))
            outbox = self.stream_of(owner) if owner else None
            if outbox is not None:
                await outbox(message)
        return None

    async def _server_request(self, upstream: str, handle: str, message: JSONObject) -> JSONObject:
        owner = self._handle_owner.get((upstream, handle)) if not is_shared(handle) else None
        listener = self._listeners.get(owner) if owner else None
        if listener is None:
            return {
                "jsonrpc": "2.0",
                "id": message.get("id"),
                "error": {"code": -32603, "message": "No client stream to relay this request to"},
            }
        relay = RequestRelay(
            listener.record.session_id,
            listener.record.client_capabilities,
            listener.outbox,
            self._pending,
            self._timeouts[upstream],
        )
        answer = await relay.sink(self.handler_for_request(upstream, handle))(message)
        return answer or {"jsonrpc": "2.0", "id": message.get("id"), "result": {}}

    async def _resource_updated(self, message: JSONObject) -> None:
        params = message.get("params") or {}
        uri = params.get("uri") if isinstance(params, dict) else None
        if not isinstance(uri, str):
            return
        # Subscriptions are held under canonical URIs; the upstream may spell its own
        # differently, and a URI with no canonical form is no subscriber's.
        canonical = canonical_uri(uri)
        if isinstance(canonical, UriRefusal):
            logger.info("dropping resources/updated for a URI with no canonical form (%s)", canonical.reason)
            return
        if canonical != uri:
            message = {**message, "params": {**params, "uri": canonical}}
        for session_id in list(self.subscribers.get(canonical, ())):
            listener = self._listeners.get(session_id)
            if listener is None:
                continue
            view = self._view_now(listener.identity, listener.capset)
            if resource_access(view, canonical).allowed:
                await listener.outbox(message)


async def listen_quietly(
    target: Upstream, handle: str, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Listen to an upstream stream; one that ends or fails must not take its task group down."""
    try:
        await target.listen(handle, task_status=task_status)
    except AuthzMcpError as exc:
        logger.info("upstream %s: stream ended (%s)", target.name, type(exc).__name__)
