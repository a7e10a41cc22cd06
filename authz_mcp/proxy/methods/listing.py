"""tools/list, prompts/list, resources/list, resources/templates/list.

Lists are served from the permitted view, never from a live upstream page, so
no page can carry a hidden item; the gateway paginates them itself with
MACed cursors.
"""

from __future__ import annotations

import time

from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.audit import AuditLog
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.cursor import CursorCodec
from authz_mcp.proxy.view import ViewFor

PAGE_SIZE = 500


class Listing:
    def __init__(self, views: ViewFor, cursors: CursorCodec, audit: AuditLog) -> None:
        self._views = views
        self._cursors = cursors
        self._audit = audit

    async def list_items(self, call: Call, kind: Kind) -> JSONObject:
        started = time.perf_counter()
        principal = call.identity.key
        offset = 0
        if call.params.get("cursor") is not None:
            offset = self._cursors.decode(call.params["cursor"], kind.method, principal)
        view = await self._views(call.identity, call.capset)
        visible = view.visible[kind]
        page = visible[offset : offset + PAGE_SIZE]
        result: JSONObject = {kind.result_key: [entry.item for entry in page]}
        if offset + PAGE_SIZE < len(visible):
            result["nextCursor"] = self._cursors.encode(kind.method, principal, offset + PAGE_SIZE)
        call.decision = "allow"
        self._audit.record(
            identity=call.identity,
            session=call.session_key,
            method=call.method,
            allowed=True,
            reason=f"filtered: {len(visible)} of {len(view.catalog.entries[kind])} visible",
            started=started,
        )
        return result

    async def list_prompts(self, call: Call) -> JSONObject:
        return await self.list_items(call, Kind.PROMPTS)

    async def list_resources(self, call: Call) -> JSONObject:
        return await self.list_items(call, Kind.RESOURCES)

    async def list_templates(self, call: Call) -> JSONObject:
        return await self.list_items(call, Kind.TEMPLATES)
