"""Fetches upstream lists (following every `nextCursor`) and keeps the catalog current."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import anyio

from authz_mcp.errors import GatewayError
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.catalog import (
    EMPTY_CATALOG,
    Catalog,
    CatalogCollision,
    Kind,
    UpstreamLists,
    build_catalog,
)
from authz_mcp.upstream.base import SHARED_SESSION, Upstream, UpstreamRpcError

logger = logging.getLogger(__name__)

MAX_PAGES = 1000
"""A paginator that never ends must not hang the gateway."""


async def fetch_lists(upstream: Upstream, timeout: float) -> UpstreamLists:
    capabilities = (upstream.initialize_result or {}).get("capabilities") or {}
    items: dict[Kind, tuple[JSONObject, ...]] = {}
    for kind in Kind:
        if not isinstance(capabilities.get(kind.capability), dict):
            continue
        items[kind] = await _fetch_all(upstream, kind, timeout)
    return UpstreamLists(upstream.name, items)


async def _fetch_all(upstream: Upstream, kind: Kind, timeout: float) -> tuple[JSONObject, ...]:
    collected: list[JSONObject] = []
    cursor: str | None = None
    seen_cursors: set[str] = set()
    for _ in range(MAX_PAGES):
        params: JSONObject = {"cursor": cursor} if cursor is not None else {}
        try:
            result = await upstream.request(SHARED_SESSION, kind.method, params, timeout=timeout)
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


class CatalogManager:
    """The aggregated catalog and the lists it is built from.

    Only the refresh owners (refresher.py) call `refresh`; everyone else reads `catalog`,
    which is swapped whole, and never waits for an upstream here.
    """

    def __init__(
        self, upstreams: Mapping[str, Upstream], prefixes: Mapping[str, str], timeout: float
    ) -> None:
        self._upstreams = upstreams
        self._prefixes = prefixes
        self._timeout = timeout
        self._lists: dict[str, UpstreamLists] = {}
        self._fetched_for: dict[str, JSONObject | None] = {}
        self._lock = anyio.Lock()
        self._built = False
        self.catalog: Catalog = EMPTY_CATALOG

    async def refresh_all(self, *, strict: bool = False) -> None:
        """Fetch every available upstream and build. With `strict` a name collision raises."""
        async with self._lock:
            for name, upstream in self._upstreams.items():
                if upstream.available:
                    await self._fetch_locked(name)
        self.build(strict=strict)

    def build(self, *, strict: bool) -> None:
        """Build the first catalog from the lists fetched so far; refreshes rebuild from then on."""
        self._built = True
        self._rebuild(strict=strict)

    async def refresh(self, name: str) -> bool:
        """Refetch one upstream's lists; True when the catalog changed."""
        async with self._lock:
            await self._fetch_locked(name)
            return self._built and self._rebuild(strict=False)

    def stale(self) -> list[str]:
        """Upstreams that (re)connected since their lists were last fetched.

        A restarted stdio upstream gets a new InitializeResult object; its lists may have
        changed, so they are fetched again before anything is decided against them.
        """
        return [
            name
            for name, upstream in self._upstreams.items()
            if upstream.available and self._fetched_for.get(name) is not upstream.initialize_result
        ]

    async def _fetch_locked(self, name: str) -> None:
        upstream = self._upstreams[name]
        # Holding the object (not its id) keeps a restart's new result from reusing the id.
        marker = upstream.initialize_result
        try:
            self._lists[name] = await fetch_lists(upstream, self._timeout)
        except (GatewayError, UpstreamRpcError) as exc:
            logger.warning("upstream %s: cannot fetch its lists (%s)", name, exc)
            return
        self._fetched_for[name] = marker

    def _rebuild(self, *, strict: bool) -> bool:
        ordered = [self._lists[name] for name in self._upstreams if name in self._lists]
        candidate, collisions = build_catalog(
            self.catalog.version + 1, ordered, self._prefixes, strict=strict
        )
        for collision in collisions:
            logger.error("%s (the second is hidden until resolved)", collision)
        if candidate.entries == self.catalog.entries:
            return False
        self.catalog = candidate
        return True


__all__ = ["CatalogCollision", "CatalogManager", "fetch_lists"]
