"""tools/call, prompts/get, resources/read, subscriptions and completion.

Resource URIs are decided on and forwarded in canonical form (`resource_access`).

A hidden item answers exactly as a missing one (DESIGN §2): the same error
code and message. Only the audit line tells them apart.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from authz_mcp.errors import GatewayError, InvalidParams, ResourceNotFound
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.policy import Decision
from authz_mcp.proxy.catalog import Entry, Kind
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.missing import forward_item
from authz_mcp.proxy.resource_access import resource_access, template_access
from authz_mcp.upstream.base import is_shared

if TYPE_CHECKING:
    from authz_mcp.proxy.gateway import Gateway


def _string_param(params: JSONObject, key: str) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidParams(f"{key} must be a non-empty string")
    return value


def _audit(
    gateway: Gateway, call: Call, started: float, item: str, upstream: str | None, decision: Decision | None
) -> None:
    call.upstream = upstream
    call.decision = "allow" if decision is not None and decision.allowed else "deny"
    gateway.audit.record(
        identity=call.identity,
        session=call.session_key,
        method=call.method,
        upstream=upstream,
        item=item,
        allowed=bool(decision and decision.allowed),
        reason=decision.reason if decision is not None else "no such item",
        started=started,
    )


async def _named(
    gateway: Gateway, call: Call, kind: Kind, not_found: GatewayError
) -> tuple[Entry, JSONObject]:
    started = time.perf_counter()
    name = _string_param(call.params, "name")
    view = await gateway.view_for(call.identity, call.capset)
    entry, decision = view.lookup(kind, name)
    _audit(gateway, call, started, name, entry.upstream if entry else None, decision)
    if entry is None or decision is None or not decision.allowed:
        raise not_found
    return entry, {**call.params, "name": entry.original}


async def call_tool(gateway: Gateway, call: Call) -> JSONObject:
    name = call.params.get("name")
    not_found = InvalidParams(f"Unknown tool: {name}")
    entry, params = await _named(gateway, call, Kind.TOOLS, not_found)
    return await forward_item(
        gateway, call, entry.upstream, params, kind="tool", item=entry.original, not_found=not_found
    )


async def get_prompt(gateway: Gateway, call: Call) -> JSONObject:
    name = call.params.get("name")
    not_found = InvalidParams(f"Unknown prompt: {name}")
    entry, params = await _named(gateway, call, Kind.PROMPTS, not_found)
    return await forward_item(
        gateway, call, entry.upstream, params, kind="prompt", item=entry.original, not_found=not_found
    )


async def _readable(gateway: Gateway, call: Call) -> tuple[str, str]:
    """(canonical URI, upstream) of the resource `uri` names, if this user may read it."""
    started = time.perf_counter()
    uri = _string_param(call.params, "uri")
    access = resource_access(await gateway.view_for(call.identity, call.capset), uri)
    access.audit(gateway.audit, call, started)
    if not access.allowed or access.canonical is None or access.upstream is None:
        raise ResourceNotFound(data={"uri": uri})
    return access.canonical, access.upstream


async def read_resource(gateway: Gateway, call: Call) -> JSONObject:
    uri, upstream = await _readable(gateway, call)
    return await _forward_resource(gateway, call, upstream, {**call.params, "uri": uri}, uri)


async def _forward_resource(
    gateway: Gateway, call: Call, upstream: str, params: JSONObject, uri: str
) -> JSONObject:
    """Forward with the canonical `uri` in `params`; a not-found answer echoes what the client sent."""
    not_found = ResourceNotFound(data={"uri": _requested_uri(call)})
    return await forward_item(gateway, call, upstream, params, kind="resource", item=uri, not_found=not_found)


def _requested_uri(call: Call) -> object:
    ref = call.params.get("ref")
    return ref.get("uri") if isinstance(ref, dict) else call.params.get("uri")


async def subscribe(gateway: Gateway, call: Call) -> JSONObject:
    uri, upstream = await _readable(gateway, call)
    result = await _forward_resource(gateway, call, upstream, {**call.params, "uri": uri}, uri)
    assert call.session is not None
    await gateway.store.add_subscription(call.session.session_id, uri)
    gateway.notifications.subscribers[uri].add(call.session.session_id)
    return result


async def unsubscribe(gateway: Gateway, call: Call) -> JSONObject:
    uri, upstream = await _readable(gateway, call)
    assert call.session is not None
    subscribers = gateway.notifications.subscribers[uri]
    subscribers.discard(call.session.session_id)
    await gateway.store.remove_subscription(call.session.session_id, uri)
    if subscribers and is_shared(await gateway.bridge.upstream_handle(call, upstream)):
        return {}  # a shared connection stays subscribed while anyone else is
    return await _forward_resource(gateway, call, upstream, {**call.params, "uri": uri}, uri)


async def complete(gateway: Gateway, call: Call) -> JSONObject:
    """completion/complete is authorized by its `ref`: the prompt or the resource (template)."""
    started = time.perf_counter()
    ref = call.params.get("ref")
    if not isinstance(ref, dict):
        raise InvalidParams("ref must be an object")
    view = await gateway.view_for(call.identity, call.capset)
    if ref.get("type") == "ref/prompt":
        name = _string_param(ref, "name")
        entry, decision = view.lookup(Kind.PROMPTS, name)
        _audit(gateway, call, started, name, entry.upstream if entry else None, decision)
        not_found = InvalidParams(f"Unknown prompt: {name}")
        if entry is None or decision is None or not decision.allowed:
            raise not_found
        params = {**call.params, "ref": {**ref, "name": entry.original}}
        return await forward_item(
            gateway, call, entry.upstream, params, kind="prompt", item=entry.original, not_found=not_found
        )
    if ref.get("type") == "ref/resource":
        uri = _string_param(ref, "uri")
        access = template_access(view, uri) or resource_access(view, uri)
        access.audit(gateway.audit, call, started)
        if not access.allowed or access.canonical is None or access.upstream is None:
            raise ResourceNotFound(data={"uri": uri})
        params = {**call.params, "ref": {**ref, "uri": access.canonical}}
        return await _forward_resource(gateway, call, access.upstream, params, access.canonical)
    raise InvalidParams("ref.type must be ref/prompt or ref/resource")
