"""Fetching one kind of an upstream's lists, following every `nextCursor`."""

from __future__ import annotations

import logging

from authz_mcp.errors import UpstreamRpcError
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.catalog import Kind
from authz_mcp.upstream.base import Era, Upstream
from authz_mcp.upstream.era import stamped

logger = logging.getLogger(__name__)

MAX_PAGES = 1000
"""A paginator that never ends must not hang the gateway."""


def offered_kinds(upstream: Upstream) -> list[Kind]:
    """The kinds the upstream's capabilities advertise."""
    offered = (upstream.initialize_result or {}).get("capabilities") or {}
    return [kind for kind in Kind if isinstance(offered.get(kind.capability), dict)]


async def fetch_kind(
    upstream: Upstream, kind: Kind, timeout: float, handle: str, capabilities: JSONObject
) -> tuple[JSONObject, ...]:
    """Every item of `kind`, on `handle`; a modern upstream is told the client `capabilities`
    in each request's envelope (it has no handshake to learn them from)."""
    collected: list[JSONObject] = []
    cursor: str | None = None
    seen_cursors: set[str] = set()
    for _ in range(MAX_PAGES):
        params: JSONObject = {"cursor": cursor} if cursor is not None else {}
        if upstream.era is Era.MODERN:
            params = stamped(params, capabilities)
        try:
            result = await upstream.request(handle, kind.method, params, timeout=timeout)
        except UpstreamRpcError as exc:
            if exc.error.get("code") == -32601 and kind is Kind.TEMPLATES:
                break  # resources without templates
            raise
        page = result.get(kind.result_key)
        if isinstance(page, list):
            collected.extend(item for item in page if isinstance(item, dict))
        next_cursor = result.get("nextCursor")
        if not isinstance(next_cursor, str) or not next_cursor or next_cursor in seen_cursors:
            break
        seen_cursors.add(next_cursor)
        cursor = next_cursor
    else:
        logger.warning("upstream %s: %s stopped after %d pages", upstream.name, kind.method, MAX_PAGES)
    return tuple(collected)
