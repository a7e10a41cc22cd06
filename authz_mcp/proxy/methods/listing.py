"""tools/list, prompts/list, resources/list, resources/templates/list.

Lists are served from the permitted view, never from a live upstream page, so
no page can carry a hidden item; the gateway paginates them itself with
MACed cursors.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.context import Call

if TYPE_CHECKING:
    from authz_mcp.proxy.gateway import Gateway

PAGE_SIZE = 500


async def list_items(gateway: Gateway, call: Call, kind: Kind) -> JSONObject:
    started = time.perf_counter()
    principal = call.identity.key
    offset = 0
    if call.params.get("cursor") is not None:
        offset = gateway.cursors.decode(call.params["cursor"], kind.method, principal)
    view = await gateway.view_for(call.identity, call.capset)
    visible = view.visible[kind]
    page = visible[offset : offset + PAGE_SIZE]
    result: JSONObject = {kind.result_key: [entry.item for entry in page]}
    if offset + PAGE_SIZE < len(visible):
        result["nextCursor"] = gateway.cursors.encode(kind.method, principal, offset + PAGE_SIZE)
    call.decision = "allow"
    gateway.audit.record(
        identity=call.identity,
        session=call.session_key,
        method=call.method,
        allowed=True,
        reason=f"filtered: {len(visible)} of {len(view.catalog.entries[kind])} visible",
        started=started,
    )
    return result
