"""tools/call, prompts/get, resources/read, subscriptions and completion.

Resource URIs are decided on and forwarded in canonical form (`resource_access`).

A hidden item answers exactly as a missing one (DESIGN §2): the same error
code and message. Only the audit line tells them apart.
"""

from __future__ import annotations

import time

from authz_mcp.errors import GatewayError, InvalidParams, ResourceNotFound
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.audit import AuditLog
from authz_mcp.policy import Decision
from authz_mcp.proxy.bridge import Bridge
from authz_mcp.proxy.catalog import Entry, Kind
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.missing import forward_item
from authz_mcp.proxy.notifications import NotificationRouter
from authz_mcp.proxy.resource_access import resource_access, template_access
from authz_mcp.proxy.view import ViewFor
from authz_mcp.sessions import SessionStore
from authz_mcp.upstream.base import is_shared


def _string_param(params: JSONObject, key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidParams(f"{key} must be a non-empty string")
    return value


def _requested_uri(call: Call) -> object:
    ref = call.params.get("ref")
    return ref.get("uri") if isinstance(ref, dict) else call.params.get("uri")


class Invoke:
    """`store` and `notifications` keep a session's resource subscriptions."""

    def __init__(
        self,
        views: ViewFor,
        bridge: Bridge,
        audit: AuditLog,
        store: SessionStore,
        notifications: NotificationRouter,
    ) -> None:
        self._views = views
        self._bridge = bridge
        self._audit = audit
        self._store = store
        self._notifications = notifications

    def _record(
        self, call: Call, started: float, item: str, upstream: str | None, decision: Decision | None
    ) -> None:
        call.upstream = upstream
        call.decision = "allow" if decision is not None and decision.allowed else "deny"
        self._audit.record(
            identity=call.identity,
            session=call.session_key,
            method=call.method,
            upstream=upstream,
            item=item,
            allowed=bool(decision and decision.allowed),
            reason=decision.reason if decision is not None else "no such item",
            started=started,
        )

    async def _named(self, call: Call, kind: Kind, not_found: GatewayError) -> tuple[Entry, JSONObject]:
        started = time.perf_counter()
        name = _string_param(call.params, "name")
        view = await self._views(call.identity, call.capset)
        entry, decision = view.lookup(kind, name)
        self._record(call, started, name, entry.upstream if entry else None, decision)
        if entry is None or decision is None or not decision.allowed:
            raise not_found
        return entry, {**call.params, "name": entry.original}

    async def _forward(
        self, call: Call, upstream: str, params: JSONObject, *, kind: str, item: str, not_found: GatewayError
    ) -> JSONObject:
        return await forward_item(
            self._bridge, self._audit, call, upstream, params, kind=kind, item=item, not_found=not_found
        )

    async def call_tool(self, call: Call) -> JSONObject:
        name = call.params.get("name")
        not_found = InvalidParams(f"Unknown tool: {name}")
        entry, params = await self._named(call, Kind.TOOLS, not_found)
        return await self._forward(
            call, entry.upstream, params, kind="tool", item=entry.original, not_found=not_found
        )

    async def get_prompt(self, call: Call) -> JSONObject:
        name = call.params.get("name")
        not_found = InvalidParams(f"Unknown prompt: {name}")
        entry, params = await self._named(call, Kind.PROMPTS, not_found)
        return await self._forward(
            call, entry.upstream, params, kind="prompt", item=entry.original, not_found=not_found
        )

    async def _readable(self, call: Call) -> tuple[str, str]:
        """(canonical URI, upstream) of the resource `uri` names, if this user may read it."""
        started = time.perf_counter()
        uri = _string_param(call.params, "uri")
        access = resource_access(await self._views(call.identity, call.capset), uri)
        access.audit(self._audit, call, started)
        if not access.allowed or access.canonical is None or access.upstream is None:
            raise ResourceNotFound(data={"uri": uri})
        return access.canonical, access.upstream

    async def read_resource(self, call: Call) -> JSONObject:
        uri, upstream = await self._readable(call)
        return await self._forward_resource(call, upstream, {**call.params, "uri": uri}, uri)

    async def _forward_resource(self, call: Call, upstream: str, params: JSONObject, uri: str) -> JSONObject:
        """Forward with the canonical `uri` in `params`; a not-found answer echoes what the client sent."""
        not_found = ResourceNotFound(data={"uri": _requested_uri(call)})
        return await self._forward(call, upstream, params, kind="resource", item=uri, not_found=not_found)

    async def subscribe(self, call: Call) -> JSONObject:
        uri, upstream = await self._readable(call)
        result = await self._forward_resource(call, upstream, {**call.params, "uri": uri}, uri)
        assert call.session is not None
        await self._store.add_subscription(call.session.session_id, uri)
        self._notifications.subscribers[uri].add(call.session.session_id)
        return result

    async def unsubscribe(self, call: Call) -> JSONObject:
        uri, upstream = await self._readable(call)
        assert call.session is not None
        subscribers = self._notifications.subscribers[uri]
        subscribers.discard(call.session.session_id)
        await self._store.remove_subscription(call.session.session_id, uri)
        if subscribers and is_shared(await self._bridge.upstream_handle(call, upstream)):
            return {}  # a shared connection stays subscribed while anyone else is
        return await self._forward_resource(call, upstream, {**call.params, "uri": uri}, uri)

    async def complete(self, call: Call) -> JSONObject:
        """completion/complete is authorized by its `ref`: the prompt or the resource (template)."""
        started = time.perf_counter()
        ref = call.params.get("ref")
        if not isinstance(ref, dict):
            raise InvalidParams("ref must be an object")
        view = await self._views(call.identity, call.capset)
        if ref.get("type") == "ref/prompt":
            name = _string_param(ref, "name")
            entry, decision = view.lookup(Kind.PROMPTS, name)
            self._record(call, started, name, entry.upstream if entry else None, decision)
            not_found = InvalidParams(f"Unknown prompt: {name}")
            if entry is None or decision is None or not decision.allowed:
                raise not_found
            params = {**call.params, "ref": {**ref, "name": entry.original}}
            return await self._forward(
                call, entry.upstream, params, kind="prompt", item=entry.original, not_found=not_found
            )
        if ref.get("type") == "ref/resource":
            uri = _string_param(ref, "uri")
            access = template_access(view, uri) or resource_access(view, uri)
            access.audit(self._audit, call, started)
            if not access.allowed or access.canonical is None or access.upstream is None:
                raise ResourceNotFound(data={"uri": uri})
            params = {**call.params, "ref": {**ref, "uri": access.canonical}}
            return await self._forward_resource(call, access.upstream, params, access.canonical)
        raise InvalidParams("ref.type must be ref/prompt or ref/resource")
