"""tools/list and tools/call in search mode (authz_mcp.discovery).

A user in search mode lists the gateway's `find_tools` and `call_tool` instead of
their permitted tools. `call_tool` is `tools/call` under another name: it runs the
very same handler, so authorization, audit, hidden-equals-missing and the relay are
those of `tools/call`, not a copy of them. Anyone not in search mode, and any other
name, goes straight to the ordinary handlers.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from authz_mcp.discovery import GATEWAY_TOOLS, RESERVED, SearchIndex, ToolDocument, uses_search
from authz_mcp.discovery.tools import (
    FIND_TOOLS,
    BadArguments,
    FindRequest,
    found_result,
    parse_find_arguments,
    summary,
    tool_error,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.catalog import Catalog, Entry, Kind
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.methods import invoke, listing
from authz_mcp.proxy.view import PermittedView

if TYPE_CHECKING:
    from authz_mcp.proxy.gateway import Gateway


async def _search_view(gateway: Gateway, call: Call) -> PermittedView | None:
    """The caller's view when they are in search mode, else None."""
    view = await gateway.view_for(call.identity, call.capset)
    if uses_search(gateway.config.discovery, len(view.visible[Kind.TOOLS])):
        return view
    return None


async def list_tools(gateway: Gateway, call: Call) -> JSONObject:
    view = await _search_view(gateway, call)
    if view is None:
        return await listing.list_items(gateway, call, Kind.TOOLS)
    started = time.perf_counter()
    offset = 0
    if call.params.get("cursor") is not None:
        # No cursor is handed out in search mode; one from an earlier full listing is
        # still checked, so a tampered cursor is -32602 here as everywhere.
        offset = gateway.cursors.decode(call.params["cursor"], Kind.TOOLS.method, call.identity.key)
    gateway.audit.record(
        identity=call.identity,
        session=call.session_key,
        method=call.method,
        allowed=True,
        reason=f"search mode: {len(view.visible[Kind.TOOLS])} tools permitted",
        started=started,
    )
    return {"tools": [dict(tool) for tool in GATEWAY_TOOLS[offset:]]}


async def call_tool(gateway: Gateway, call: Call) -> JSONObject:
    name = call.params.get("name")
    if isinstance(name, str) and name in RESERVED:
        view = await _search_view(gateway, call)
        if view is not None:
            if name == FIND_TOOLS:
                return await _find_tools(gateway, call, view)
            return await invoke.call_tool(gateway, _unwrapped(call))
    return await invoke.call_tool(gateway, call)


def _unwrapped(call: Call) -> Call:
    """The `tools/call` that `call_tool` stands for. Other params (`_meta` with its progress
    token, MRTR `inputResponses` and `requestState`) stay as the client sent them."""
    wrapper = call.params.get("arguments")
    inner: JSONObject = wrapper if isinstance(wrapper, dict) else {}
    params = {key: value for key, value in call.params.items() if key not in ("name", "arguments")}
    params["name"] = inner.get("name")
    if "arguments" in inner:
        params["arguments"] = inner["arguments"]
    return replace(call, params=params)


def documents(catalog: Catalog) -> list[ToolDocument]:
    return [
        ToolDocument(entry.exposed, entry.upstream, entry.original, entry.item)
        for entry in catalog.entries[Kind.TOOLS].values()
    ]


def find(index: SearchIndex, view: PermittedView, request: FindRequest) -> list[Entry]:
    """The tools of `view` that best match the request, best first; nothing else."""
    visible = view.visible[Kind.TOOLS]
    names = index.search(request.query, {entry.exposed for entry in visible}, request.limit)
    if not names and not index.has_terms(request.query):
        # Nothing to search for ("", or only filler words): the first permitted tools.
        return list(visible[: request.limit])
    return [entry for name in names if (entry := view.catalog.get(Kind.TOOLS, name)) is not None]


async def _find_tools(gateway: Gateway, call: Call, view: PermittedView) -> JSONObject:
    started = time.perf_counter()
    try:
        request = parse_find_arguments(call.params.get("arguments"))
    except BadArguments as exc:
        _audit_find(gateway, call, started, f"bad arguments: {exc}")
        return tool_error(str(exc))
    catalog = view.catalog
    index = await gateway.search_index.get(catalog.version, lambda: documents(catalog))
    found = find(index, view, request)
    visible = len(view.visible[Kind.TOOLS])
    _audit_find(gateway, call, started, f"search: {len(found)} of {visible} permitted tools")
    return found_result([summary(entry.item) for entry in found])


def _audit_find(gateway: Gateway, call: Call, started: float, reason: str) -> None:
    gateway.audit.record(
        identity=call.identity,
        session=call.session_key,
        method=call.method,
        item=FIND_TOOLS,
        allowed=True,
        reason=reason,
        started=started,
    )
