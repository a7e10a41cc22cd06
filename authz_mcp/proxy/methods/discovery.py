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

from authz_mcp.config import DiscoveryConfig
from authz_mcp.discovery import GATEWAY_TOOLS, RESERVED, IndexCache, SearchIndex, ToolDocument, uses_search
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
from authz_mcp.observability.audit import AuditLog
from authz_mcp.proxy.catalog import Catalog, Entry, Kind
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.cursor import CursorCodec
from authz_mcp.proxy.methods.invoke import Invoke
from authz_mcp.proxy.methods.listing import Listing
from authz_mcp.proxy.view import PermittedView, ViewFor


class Discovery:
    """`tools/list` and `tools/call`: in search mode here, otherwise `listing` and `invoke`."""

    def __init__(
        self,
        config: DiscoveryConfig,
        views: ViewFor,
        cursors: CursorCodec,
        search_index: IndexCache,
        audit: AuditLog,
        listing: Listing,
        invoke: Invoke,
    ) -> None:
        self._config = config
        self._views = views
        self._cursors = cursors
        self._search_index = search_index
        self._audit = audit
        self._listing = listing
        self._invoke = invoke

    async def _search_view(self, call: Call) -> PermittedView | None:
        """The caller's view when they are in search mode, else None."""
        view = await self._views(call.identity, call.capset)
        if uses_search(self._config, len(view.visible[Kind.TOOLS])):
            return view
        return None

    async def list_tools(self, call: Call) -> JSONObject:
        view = await self._search_view(call)
        if view is None:
            return await self._listing.list_items(call, Kind.TOOLS)
        started = time.perf_counter()
        offset = 0
        if call.params.get("cursor") is not None:
            # No cursor is handed out in search mode; one from an earlier full listing is
            # still checked, so a tampered cursor is -32602 here as everywhere.
            offset = self._cursors.decode(call.params["cursor"], Kind.TOOLS.method, call.identity.key)
        self._audit.record(
            identity=call.identity,
            session=call.session_key,
            method=call.method,
            allowed=True,
            reason=f"search mode: {len(view.visible[Kind.TOOLS])} tools permitted",
            started=started,
        )
        return {"tools": [dict(tool) for tool in GATEWAY_TOOLS[offset:]]}

    async def call_tool(self, call: Call) -> JSONObject:
        name = call.params.get("name")
        if isinstance(name, str) and name in RESERVED:
            view = await self._search_view(call)
            if view is not None:
                if name == FIND_TOOLS:
                    return await self._find_tools(call, view)
                return await self._invoke.call_tool(_unwrapped(call))
        return await self._invoke.call_tool(call)

    async def _find_tools(self, call: Call, view: PermittedView) -> JSONObject:
        started = time.perf_counter()
        try:
            request = parse_find_arguments(call.params.get("arguments"))
        except BadArguments as exc:
            self._audit_find(call, started, f"bad arguments: {exc}")
            return tool_error(str(exc))
        catalog = view.catalog
        index = await self._search_index.get(catalog.version, lambda: documents(catalog))
        found = find(index, view, request)
        visible = len(view.visible[Kind.TOOLS])
        self._audit_find(call, started, f"search: {len(found)} of {visible} permitted tools")
        return found_result([summary(entry.item) for entry in found])

    def _audit_find(self, call: Call, started: float, reason: str) -> None:
        self._audit.record(
            identity=call.identity,
            session=call.session_key,
            method=call.method,
            item=FIND_TOOLS,
            allowed=True,
            reason=reason,
            started=started,
        )


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
