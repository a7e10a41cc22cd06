"""One task per upstream owns its catalog refreshes.

Anything may ask for a refresh (a `*/list_changed` notice, an upstream that came back,
start-up) and none of them fetches: asking only records the wish and wakes the owner,
so the task that asks (often a transport's delivery of a notification) never waits on
an upstream reply. Asks that arrive while a refresh runs are coalesced: however many
came, exactly one more refresh follows the running one, and it covers them all, since
it starts after the last of them. Each refresh runs between two looks at the listening
clients' views (`ListChanges.around_change`), so whoever can now see more, or less,
is told. While some list of the upstream fails (`failing`), the owner tries again with
capped exponential backoff; an ask cuts the wait short.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import anyio
from anyio.abc import TaskGroup

from authz_mcp.proxy.catalog import Kind
from authz_mcp.upstream.rpc import backoff

logger = logging.getLogger(__name__)

Refresh = Callable[[str, tuple[Kind, ...]], Awaitable[None]]
"""Refetch one upstream's lists (of at least these kinds) and announce what changed."""
Failing = Callable[[str], bool]
"""Whether some list of the upstream failed at its last refresh."""
FIRST_RETRY, MAX_RETRY = 0.5, 30.0


@dataclass
class _Owner:
    requested: int = 0
    """Generation of the newest ask; a refresh starting now covers every ask up to it."""
    completed: int = 0
    kinds: set[Kind] = field(default_factory=set)
    wake: anyio.Event = field(default_factory=anyio.Event)
    done: anyio.Event = field(default_factory=anyio.Event)


class CatalogRefresher:
    def __init__(
        self,
        names: Iterable[str],
        refresh: Refresh,
        failing: Failing = lambda name: False,
        *,
        first_retry: float = FIRST_RETRY,
        max_retry: float = MAX_RETRY,
    ) -> None:
        self._refresh = refresh
        self._failing = failing
        self._retry = (first_retry, max_retry)
        self._owners = {name: _Owner() for name in names}

    def run_in(self, group: TaskGroup) -> None:
        """Start the owner tasks; they run until `group` is cancelled."""
        for name in self._owners:
            group.start_soon(self._own, name, name=f"catalog refresh {name}")

    def request(self, name: str, kinds: Iterable[Kind] = tuple(Kind)) -> int:
        """Ask for a refresh of `name`; never waits. Returns the generation that covers it."""
        owner = self._owners.get(name)
        if owner is None:
            return 0
        owner.requested += 1
        owner.kinds.update(kinds)
        owner.wake.set()
        return owner.requested

    async def wait(self, name: str, generation: int) -> None:
        """Return once a refresh covering `generation` has completed (failed ones included)."""
        owner = self._owners.get(name)
        while owner is not None and owner.completed < generation:
            await owner.done.wait()

    async def refreshed(self, name: str, kinds: Iterable[Kind] = tuple(Kind)) -> None:
        """Ask for a refresh and wait for it."""
        await self.wait(name, self.request(name, kinds))

    async def _own(self, name: str) -> None:
        owner = self._owners[name]
        delays = backoff(*self._retry)
        retry: float | None = None
        while True:
            with anyio.move_on_after(math.inf if retry is None else retry):
                await owner.wake.wait()
            owner.wake = anyio.Event()
            generation = owner.requested
            kinds = tuple(kind for kind in Kind if kind in owner.kinds)
            if retry is not None or not kinds:
                # After a failure, or asked by nobody: any kind may have changed for someone.
                kinds = tuple(Kind)
            owner.kinds = set()
            try:
                await self._refresh(name, kinds)
            except Exception:  # the owner's boundary: the next ask must still be served
                logger.exception("upstream %s: refreshing the catalog failed", name)
            owner.completed = generation
            owner.done.set()
            owner.done = anyio.Event()
            if self._failing(name):
                retry = next(delays)
            else:
                retry, delays = None, backoff(*self._retry)
