"""server/discover and subscriptions/listen: 2026-07-28 methods the gateway answers itself.

`subscriptions/listen` (2026-07-28 basic/patterns/subscriptions) replaces the GET
stream and `resources/subscribe`: its response is an SSE stream that opens with
`notifications/subscriptions/acknowledged`, naming the subset of the filter the
gateway honours, and then carries only what the client asked for and the user
may see, each frame tagged with the listen request's id. Resource URIs are
authorized like `resources/read`, in canonical form: a hidden one is left out of the
honoured subset exactly as a missing one is, and the acknowledgement names the
canonical form of each one honoured.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from collections.abc import Mapping

import anyio
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from authz_mcp.errors import AuthzMcpError, GatewayError, InvalidParams
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.audit import AuditLog
from authz_mcp.proxy.bridge import Bridge
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.envelope import relayable
from authz_mcp.proxy.methods.lifecycle import merged_capabilities, merged_instructions
from authz_mcp.proxy.notifications import NotificationRouter
from authz_mcp.proxy.principals import listen_slot
from authz_mcp.proxy.relay import Outbox
from authz_mcp.proxy.resource_access import resource_access
from authz_mcp.proxy.view import ViewFor
from authz_mcp.sessions import SessionRecord
from authz_mcp.upstream.base import SHARED_SESSION, Era, Upstream, is_shared

logger = logging.getLogger(__name__)

SUBSCRIPTION_ID_KEY = "io.modelcontextprotocol/subscriptionId"
ACKNOWLEDGED = "notifications/subscriptions/acknowledged"
MAX_RESOURCE_SUBSCRIPTIONS = 256
_LIST_FILTERS = {
    "notifications/tools/list_changed": "toolsListChanged",
    "notifications/prompts/list_changed": "promptsListChanged",
    "notifications/resources/list_changed": "resourcesListChanged",
}
_CLEANUP_TIMEOUT = 5.0


class _ListenStream:
    """The frames of one listen response: the acknowledgement first, then what it honours."""

    def __init__(self, outbox: Outbox, subscription_id: object, flags: JSONObject, uris: list[str]) -> None:
        self._outbox = outbox
        self._meta = {SUBSCRIPTION_ID_KEY: subscription_id}
        self._flags = flags
        self._uris = frozenset(uris)
        self._acknowledged = anyio.Event()

    async def acknowledge(self) -> None:
        honored: JSONObject = dict(self._flags)
        if self._uris:
            honored["resourceSubscriptions"] = sorted(self._uris)
        params = {"notifications": honored, "_meta": self._meta}
        await self._outbox({"jsonrpc": "2.0", "method": ACKNOWLEDGED, "params": params})
        self._acknowledged.set()

    async def deliver(self, message: JSONObject) -> bool:
        # "The server MUST NOT send any notification on the subscription before acknowledging it."
        await self._acknowledged.wait()
        method = message.get("method")
        raw = message.get("params")
        params: JSONObject = raw if isinstance(raw, dict) else {}
        if method in _LIST_FILTERS:
            wanted = self._flags.get(_LIST_FILTERS[method]) is True
        else:
            wanted = method == "notifications/resources/updated" and params.get("uri") in self._uris
        if not wanted:
            return False
        rest = {key: value for key, value in params.items() if key != "_meta"}
        frame = {"jsonrpc": "2.0", "method": method, "params": {**rest, "_meta": self._meta}}
        return await self._outbox(frame)


class Modern:
    """`listen_streams` counts each principal's open `subscriptions/listen` streams (`listen_slot`)."""

    def __init__(
        self,
        upstreams: Mapping[str, Upstream],
        views: ViewFor,
        audit: AuditLog,
        bridge: Bridge,
        notifications: NotificationRouter,
        listen_streams: Counter[str],
    ) -> None:
        self._upstreams = upstreams
        self._views = views
        self._audit = audit
        self._bridge = bridge
        self._notifications = notifications
        self._listen_streams = listen_streams

    async def discover(self, call: Call) -> JSONObject:
        result: JSONObject = {
            "supportedVersions": list(MODERN_PROTOCOL_VERSIONS),
            "capabilities": merged_capabilities(self._upstreams),
        }
        instructions = merged_instructions(self._upstreams)
        if instructions:
            result["instructions"] = instructions
        return result

    async def listen(self, call: Call) -> JSONObject:
        session = call.session
        if session is None:
            raise InvalidParams("subscriptions/listen needs a principal")
        flags, requested = _filter(call.params)
        with listen_slot(self._listen_streams, session.session_id):
            readable = await self._readable(call, requested)
            await self._hold_user_sessions(call)
            subscribed = [(uri, up) for uri, up in readable if await self._subscribe(call, uri, up)]
            stream = _ListenStream(call.outbox, call.request_id, flags, [uri for uri, _ in subscribed])
            key = f"{session.session_id}:listen:{secrets.token_hex(8)}"
            listener = SessionRecord(
                session_id=key,
                owner=session.owner,
                protocol_version=session.protocol_version,
                client_info={},
                # The stream is told of changes to the catalog of what this request declared.
                client_capabilities=relayable(call.client_capabilities),
                created_at=time.time(),
                upstream_sessions=dict(session.upstream_sessions),
                subscriptions=sorted(uri for uri, _ in subscribed),
            )
            deliver = stream.deliver  # one bound method: detach compares outboxes by identity
            try:
                async with anyio.create_task_group() as group:
                    await self._notifications.attach(call.identity, listener, deliver, group)
                    await stream.acknowledge()
                    await anyio.sleep_forever()
            finally:
                self._notifications.detach(key, deliver)
                with anyio.CancelScope(shield=True), anyio.move_on_after(_CLEANUP_TIMEOUT):
                    await self._release(call, key, subscribed)
        # Streams end by cancellation (the client closes it); this is the graceful end's shape.
        return {"_meta": {SUBSCRIPTION_ID_KEY: call.request_id}}

    async def _readable(self, call: Call, uris: list[str]) -> list[tuple[str, str]]:
        """The canonical URIs the user may read, with their upstreams; the others are not
        honoured. Aliases of one resource are honoured once, under its canonical form."""
        readable: dict[str, str] = {}
        view = await self._views(call.identity, call.capset)
        for uri in uris:
            started = time.perf_counter()
            access = resource_access(view, uri)
            access.audit(self._audit, call, started)
            if access.allowed and access.canonical is not None and access.upstream is not None:
                readable.setdefault(access.canonical, access.upstream)
        return list(readable.items())

    async def _hold_user_sessions(self, call: Call) -> None:
        """Open the user's sessions on legacy HTTP upstreams now, so the listen stream hears
        what those upstreams send to the user's own session (list changes after its calls)."""
        for name, upstream in self._upstreams.items():
            if upstream.era is Era.LEGACY:
                try:
                    await self._bridge.upstream_handle(call, name)
                except GatewayError as exc:
                    logger.info("upstream %s: no session to listen on (%r)", name, exc)

    async def _subscribe(self, call: Call, uri: str, upstream: str) -> bool:
        try:
            await self._bridge.forward(call, upstream, "resources/subscribe", {"uri": uri})
        except AuthzMcpError as exc:
            logger.info("upstream %s: subscribing to a resource failed (%r)", upstream, exc)
            return False
        return True

    async def _release(self, call: Call, key: str, subscribed: list[tuple[str, str]]) -> None:
        """Unsubscribe upstream where no other stream still wants the URI on that upstream session."""
        principal = key.partition(":listen:")[0]
        handles = call.session.upstream_sessions if call.session is not None else {}
        for uri, upstream in subscribed:
            remaining = self._notifications.subscribers.get(uri, set())
            remaining.discard(key)
            shared = is_shared(handles.get(upstream, SHARED_SESSION))
            if any(shared or other.startswith(f"{principal}:listen:") for other in remaining):
                continue
            try:
                await self._bridge.forward(call, upstream, "resources/unsubscribe", {"uri": uri})
            except AuthzMcpError as exc:
                logger.info("upstream %s: unsubscribing failed (%r)", upstream, exc)


def _filter(params: JSONObject) -> tuple[JSONObject, list[str]]:
    notifications = params.get("notifications")
    if not isinstance(notifications, dict):
        raise InvalidParams("notifications must be an object")
    flags = {name: True for name in _LIST_FILTERS.values() if notifications.get(name) is True}
    uris = notifications.get("resourceSubscriptions") or []
    if not isinstance(uris, list) or not all(isinstance(uri, str) for uri in uris):
        raise InvalidParams("resourceSubscriptions must be a list of URIs")
    if len(uris) > MAX_RESOURCE_SUBSCRIPTIONS:
        raise InvalidParams(f"at most {MAX_RESOURCE_SUBSCRIPTIONS} resourceSubscriptions")
    return flags, list(dict.fromkeys(uris))
