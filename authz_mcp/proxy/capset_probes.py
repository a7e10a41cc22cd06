"""What a connection shared by every user may show each declared capability set.

A legacy-era stdio process or HTTP+SSE stream is one client connection for every user. It
declares everything the gateway can relay (`MOST_RELAYED`), so its lists are what such a
client is offered; a client that declared less must not be shown what is offered only for
what it did not declare (it could not use it). It cannot have a connection of its own to
call on either: the server's state (a tool added at runtime, a subscription) lives in the
one shared connection, and a second one would split it.

So the shared connection's lists stay the source of every item, and list-only probe
connections, each declaring exactly one capability set, tell which items a client of that
set is not offered: those a probe declaring `MOST_RELAYED` lists and a probe declaring the
set does not. What a server offers for what a client declared is settled at its handshake,
so each set is probed once per start of the shared connection (a restart probes afresh);
a probe lists and is closed at once. A probe that fails (a server that cannot run twice)
is logged and withholds nothing: the set is then shown the shared lists, as before probing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import anyio

from authz_mcp.errors import AuthzMcpError
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.proxy.capsets import MOST_RELAYED, Capset, capset_of, declared, label
from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.catalog_fetch import fetch_kind
from authz_mcp.upstream.base import SHARED_SESSION, Upstream

logger = logging.getLogger(__name__)

FULL: Capset = capset_of(MOST_RELAYED)
"""The set the shared connection declares: nothing is withheld from it."""

Offered = dict[Kind, frozenset[str]]
"""Per kind, the ids (name, URI or URI template) a probe was listed."""
Withheld = dict[Kind, frozenset[str]]


class ProbeFailed(AuthzMcpError):
    """A probe connection did not start and initialize."""


class CapsetProbes:
    """Per upstream and capability set, what a probe was offered, for the upstream's current start."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._offered: dict[tuple[str, Capset], tuple[JSONObject | None, Offered | None]] = {}

    async def withheld(
        self, upstream: Upstream, capsets: Sequence[Capset], kinds: Sequence[Kind]
    ) -> dict[Capset, Withheld] | None:
        """Per set, the items the shared connection lists that a client of the set is not
        offered; None where the upstream needs no probes (`Upstream.probe`)."""
        if upstream.probe(MOST_RELAYED) is None:
            return None
        marker = upstream.initialize_result
        wanted = [capset for capset in {*capsets, FULL} if not self._known(upstream.name, capset, marker)]
        if any(capset != FULL for capset in wanted):
            async with anyio.create_task_group() as group:
                for capset in wanted:
                    group.start_soon(self._probe, upstream, capset, kinds, marker)
        full = self._offered.get((upstream.name, FULL), (None, None))[1]
        withheld: dict[Capset, Withheld] = {}
        for capset in capsets:
            offered = self._offered.get((upstream.name, capset), (None, None))[1]
            if capset == FULL or full is None or offered is None:
                withheld[capset] = {}
            else:
                withheld[capset] = {
                    kind: full.get(kind, frozenset()) - offered.get(kind, frozenset()) for kind in kinds
                }
        return withheld

    def _known(self, name: str, capset: Capset, marker: JSONObject | None) -> bool:
        known = self._offered.get((name, capset))
        return known is not None and known[0] is marker

    async def _probe(
        self, upstream: Upstream, capset: Capset, kinds: Sequence[Kind], marker: JSONObject | None
    ) -> None:
        try:
            offered: Offered | None = await self._list(upstream, capset, kinds)
        except AuthzMcpError as exc:
            logger.warning(
                "upstream %s: a probe declaring %s failed (%r); clients declaring it are shown "
                "everything the shared connection lists",
                upstream.name,
                label(capset),
                exc,
            )
            offered = None
        self._offered[(upstream.name, capset)] = (marker, offered)

    async def _list(self, upstream: Upstream, capset: Capset, kinds: Iterable[Kind]) -> Offered:
        capabilities = declared(capset)
        probe = upstream.probe(capabilities)
        if probe is None:
            raise ProbeFailed("the upstream offers no probe connection")
        try:
            with anyio.move_on_after(self._timeout):
                await probe.start()
            if not probe.available:
                raise ProbeFailed("did not initialize in time")
            offered: Offered = {}
            for kind in kinds:
                items = await fetch_kind(probe, kind, self._timeout, SHARED_SESSION, capabilities)
                offered[kind] = frozenset(str(item.get(kind.id_key)) for item in items)
            return offered
        finally:
            with anyio.CancelScope(shield=True):
                await probe.aclose()


def without(items: tuple[JSONObject, ...], kind: Kind, withheld: Withheld) -> tuple[JSONObject, ...]:
    """`items` less those withheld."""
    hidden = withheld.get(kind)
    if not hidden:
        return items
    return tuple(item for item in items if str(item.get(kind.id_key)) not in hidden)
