"""Keeps the catalogs current: per declared capability set, from lists kept per kind.

Each kind of each upstream (tools, prompts, resources, templates) is fetched on its own.
A kind whose list fails is left out (or keeps its last good list) while the others are
served; the upstream's refresh owner retries it with backoff (`failing`), the log says
so once per failure streak, and `/readyz` lists it (`failing_lists`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping

import anyio

from authz_mcp.errors import CatalogCollision, GatewayError, UpstreamRpcError, UpstreamSessionExpired
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.capset_probes import CapsetProbes, without
from authz_mcp.proxy.capsets import NO_CAPABILITIES, Capset, declared
from authz_mcp.proxy.catalog import EMPTY_CATALOG, Catalog, Kind, UpstreamLists, build_catalog
from authz_mcp.proxy.catalog_fetch import fetch_kind, offered_kinds
from authz_mcp.upstream.base import SHARED_SESSION, Upstream

logger = logging.getLogger(__name__)

_FETCH_ERRORS = (GatewayError, UpstreamRpcError, UpstreamSessionExpired)


class CatalogManager:
    """The aggregated catalogs, one per declared capability set (capsets.py), and the lists
    they are built from.

    Only the refresh owners (refresher.py) call `refresh`; everyone else reads a catalog,
    which is swapped whole, and never waits for an upstream here. A capability set gets its
    catalog once a client of that set first needs it (`use`); from then on every refresh
    of an upstream fetches its lists for every set in use: on a session declaring the set,
    or, where one connection serves every user, on that connection, less what a client
    of the set is not offered (capset_probes.py).
    """

    def __init__(
        self, upstreams: Mapping[str, Upstream], prefixes: Mapping[str, str], timeout: float
    ) -> None:
        self._upstreams = upstreams
        self._prefixes = prefixes
        self._timeout = timeout
        self._lists: dict[tuple[str, Capset], UpstreamLists] = {}
        self._fetched_for: dict[str, JSONObject | None] = {}
        self._failing: dict[str, dict[Kind, str]] = {}
        self._handles: dict[tuple[str, Capset], str] = {}
        self._probes = CapsetProbes(timeout)
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

    def failing(self, name: str) -> bool:
        """Whether some list of `name` failed at its last fetch (its owner retries it)."""
        return bool(self._failing.get(name))

    def failing_lists(self) -> dict[str, list[str]]:
        """Per upstream, the list methods that currently fail."""
        return {
            name: [kind.method for kind in Kind if kind in kinds]
            for name, kinds in self._failing.items()
            if kinds
        }

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
        kinds = offered_kinds(upstream)
        failures: dict[Kind, str] = {}
        capsets = list(self._catalogs)
        withheld = await self._probes.withheld(upstream, capsets, kinds)
        shared: dict[Kind, tuple[JSONObject, ...]] = {}
        for capset in capsets:
            previous = self._lists.get((name, capset))
            items: dict[Kind, tuple[JSONObject, ...]] = {}
            for kind in kinds:
                try:
                    if withheld is None:
                        items[kind] = await self._fetch_kind(upstream, capset, kind)
                    else:
                        if kind not in shared:
                            shared[kind] = await self._fetch_kind(upstream, NO_CAPABILITIES, kind)
                        items[kind] = without(shared[kind], kind, withheld[capset])
                except _FETCH_ERRORS as exc:
                    failures.setdefault(kind, repr(exc))
                    if previous is not None and kind in previous.items:
                        items[kind] = previous.items[kind]  # the last good list stays served
            self._lists[(name, capset)] = UpstreamLists(name, items)
        # Failing kinds are retried by the owner, with backoff, not by every request.
        self._fetched_for[name] = marker
        self._record(name, kinds, failures)

    async def _fetch_kind(self, upstream: Upstream, capset: Capset, kind: Kind) -> tuple[JSONObject, ...]:
        """The `kind` list offered to a client of `capset`, on a session that declared it."""
        capabilities = declared(capset)
        if not capset:
            return await fetch_kind(upstream, kind, self._timeout, SHARED_SESSION, capabilities)
        key = (upstream.name, capset)
        for attempt in range(2):
            handle = self._handles.get(key)
            if handle is None:
                handle = self._handles[key] = await upstream.open_session(capabilities)
            try:
                return await fetch_kind(upstream, kind, self._timeout, handle, capabilities)
            except UpstreamSessionExpired:
                del self._handles[key]  # the upstream forgot it (restarted): a new one
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _record(self, name: str, kinds: list[Kind], failures: dict[Kind, str]) -> None:
        """Log each kind's failure once per streak, and its recovery."""
        before = self._failing.get(name, {})
        kept = {
            kind for (upstream, _), lists in self._lists.items() if upstream == name for kind in lists.items
        }
        for kind in kinds:
            if kind in failures and kind not in before:
                served = "its last good list" if kind in kept else "none"
                logger.warning(
                    "upstream %s: %s failed (%s); retrying with backoff, serving %s meanwhile",
                    name,
                    kind.method,
                    failures[kind],
                    served,
                )
            elif kind in before and kind not in failures:
                logger.info("upstream %s: %s lists again", name, kind.method)
        self._failing[name] = failures

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


__all__ = ["CatalogCollision", "CatalogManager"]
