"""Fetches upstream lists (following every `nextCursor`) and keeps the catalog current."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping

import anyio

from authz_mcp.errors import GatewayError
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.capsets import NO_CAPABILITIES, Capset, declared, label
from authz_mcp.proxy.catalog import (
    EMPTY_CATALOG,
    Catalog,
    CatalogCollision,
    Kind,
    UpstreamLists,
    build_catalog,
)
from authz_mcp.upstream.base import SHARED_SESSION, Era, Upstream, UpstreamRpcError, UpstreamSessionExpired
from authz_mcp.upstream.era import stamped

logger = logging.getLogger(__name__)

MAX_PAGES = 1000
"""A paginator that never ends must not hang the gateway."""


async def fetch_lists(
    upstream: Upstream, timeout: float, handle: str = SHARED_SESSION, capabilities: JSONObject | None = None
) -> UpstreamLists:
    """Every list the upstream advertises, on `handle`; a modern upstream is told the client
    `capabilities` in each request's envelope (it has no handshake to learn them from)."""
    offered = (upstream.initialize_result or {}).get("capabilities") or {}
    items: dict[Kind, tuple[JSONObject, ...]] = {}
    for kind in Kind:
        if not isinstance(offered.get(kind.capability), dict):
            continue
        items[kind] = await _fetch_all(upstream, kind, timeout, handle, capabilities)
    return UpstreamLists(upstream.name, items)


async def _fetch_all(
    upstream: Upstream, kind: Kind, timeout: float, handle: str, capabilities: JSONObject | None
) -> tuple[JSONObject, ...]:
    collected: list[JSONObject] = []
    cursor: str | None = None
    seen_cursors: set[str] = set()
    for _ in range(MAX_PAGES):
        params: JSONObject = {"cursor": cursor} if cursor is not None else {}
        if capabilities is not None and upstream.era is Era.MODERN:
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


class CatalogManager:
    """The aggregated catalogs, one per declared capability set (capsets.py), and the lists
    they are built from.

    Only the refresh owners (refresher.py) call `refresh`; everyone else reads a catalog,
    which is swapped whole, and never waits for an upstream here. A capability set gets its
    catalog once a client of that set first needs it (`use`); from then on every refresh
    of an upstream fetches its lists for every set in use.
    """

    def __init__(
        self, upstreams: Mapping[str, Upstream], prefixes: Mapping[str, str], timeout: float
    ) -> None:
        self._upstreams = upstreams
        self._prefixes = prefixes
        self._timeout = timeout
        self._lists: dict[tuple[str, Capset], UpstreamLists] = {}
        self._fetched_for: dict[str, JSONObject | None] = {}
        self._handles: dict[tuple[str, Capset], str] = {}
        self._catalogs: dict[Capset, Catalog] = {NO_CAPABILITIES: EMPTY_CATALOG}
        self._ready: dict[Capset, anyio.Event] = {}
        self._versions = itertools.count(1)
        self._built = False

    @property
    def catalog(self) -> Catalog:
        """The catalog of clients that declare no capabilities (the gateway's own view)."""
        return self._catalogs[NO_CAPABILITIES]

    def catalog_for(self, capset: Capset) -> Catalog:
        """The catalog of `capset` as it stands (empty until its first fetch)."""
        return self._catalogs.get(capset, EMPTY_CATALOG)

    def use(self, capset: Capset) -> tuple[anyio.Event, bool]:
        """Register `capset`: the event set once its catalog is first built, and whether
        this call registered it (the caller then has its lists fetched and sets the event)."""
        ready = self._ready.get(capset)
        if ready is not None:
            return ready, False
        ready = self._ready[capset] = anyio.Event()
        self._catalogs.setdefault(capset, EMPTY_CATALOG)
        return ready, True

    async def refresh_all(self, *, strict: bool = False) -> None:
        """Fetch every available upstream and build. With `strict` a name collision raises."""
        for name, upstream in self._upstreams.items():
            if upstream.available:
                await self._fetch(name)
        self.build(strict=strict)

    def build(self, *, strict: bool) -> None:
        """Build the first catalogs from the lists fetched so far; refreshes rebuild from then on."""
        self._built = True
        self._rebuild(strict=strict)
        self.use(NO_CAPABILITIES)[0].set()

    async def refresh(self, name: str) -> bool:
        """Refetch one upstream's lists for every capability set in use; True when a
        catalog changed. Called by that upstream's refresh owner only."""
        await self._fetch(name)
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

    async def _fetch(self, name: str) -> None:
        upstream = self._upstreams[name]
        # Holding the object (not its id) keeps a restart's new result from reusing the id.
        marker = upstream.initialize_result
        fetched = True
        for capset in list(self._catalogs):
            try:
                self._lists[(name, capset)] = await self._fetch_for(upstream, capset)
            except (GatewayError, UpstreamRpcError, UpstreamSessionExpired) as exc:
                logger.warning("upstream %s: cannot fetch its lists for %s (%r)", name, label(capset), exc)
                fetched = False
        if fetched:
            self._fetched_for[name] = marker

    async def _fetch_for(self, upstream: Upstream, capset: Capset) -> UpstreamLists:
        """The lists offered to a client of `capset`, on a session that declared it."""
        capabilities = declared(capset)
        if not capset:
            return await fetch_lists(upstream, self._timeout, SHARED_SESSION, capabilities)
        key = (upstream.name, capset)
        for attempt in range(2):
            handle = self._handles.get(key)
            if handle is None:
                handle = self._handles[key] = await upstream.open_session(capabilities)
            try:
                return await fetch_lists(upstream, self._timeout, handle, capabilities)
            except UpstreamSessionExpired:
                del self._handles[key]  # the upstream forgot it (restarted): a new one
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _rebuild(self, *, strict: bool) -> bool:
        changed = False
        for capset, current in list(self._catalogs.items()):
            lists = [self._lists[(name, capset)] for name in self._upstreams if (name, capset) in self._lists]
            candidate, collisions = build_catalog(next(self._versions), lists, self._prefixes, strict=strict)
            for collision in collisions:
                logger.error("%s (the second is hidden until resolved)", collision)
            if candidate.entries != current.entries or candidate.upstreams != current.upstreams:
                self._catalogs[capset] = candidate
                changed = True
        return changed


__all__ = ["CatalogCollision", "CatalogManager", "fetch_lists"]
