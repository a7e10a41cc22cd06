"""One owner per upstream runs its refreshes; asks during a refresh bring exactly one more."""

from __future__ import annotations

import anyio

from authz_mcp.proxy.catalog import Kind
from authz_mcp.proxy.refresher import CatalogRefresher


class Recorder:
    """A refresh that records its runs and, while `hold` is set, waits to be released."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, tuple[Kind, ...]]] = []
        self.started = anyio.Event()
        self.release = anyio.Event()
        self.hold = True
        self.active = 0
        self.most_active = 0

    async def refresh(self, name: str, kinds: tuple[Kind, ...]) -> None:
        self.runs.append((name, kinds))
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        self.started.set()
        if self.hold:
            await self.release.wait()
        self.active -= 1


async def test_asks_during_a_refresh_bring_exactly_one_more() -> None:
    recorder = Recorder()
    refresher = CatalogRefresher(["up"], recorder.refresh)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            refresher.run_in(group)
            first = refresher.request("up", (Kind.TOOLS,))
            await recorder.started.wait()
            asks = [refresher.request("up", (kind,)) for kind in (Kind.PROMPTS, Kind.TOOLS, Kind.RESOURCES)]
            recorder.hold = False
            recorder.release.set()
            await refresher.wait("up", first)
            await refresher.wait("up", max(asks))
            group.cancel_scope.cancel()
    assert recorder.runs == [("up", (Kind.TOOLS,)), ("up", (Kind.TOOLS, Kind.PROMPTS, Kind.RESOURCES))]
    assert recorder.most_active == 1


async def test_each_upstream_has_its_own_owner() -> None:
    recorder = Recorder()
    refresher = CatalogRefresher(["a", "b"], recorder.refresh)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            refresher.run_in(group)
            refresher.request("a")
            refresher.request("b")
            while recorder.active < 2:  # both run at once: a slow upstream holds up no other
                await recorder.started.wait()
                recorder.started = anyio.Event()
            recorder.release.set()
            await refresher.refreshed("a")
            group.cancel_scope.cancel()
    assert sorted(name for name, _ in recorder.runs) == ["a", "a", "b"]


async def test_a_failing_refresh_still_completes_its_generation() -> None:
    attempts: list[str] = []

    async def broken(name: str, kinds: tuple[Kind, ...]) -> None:
        attempts.append(name)
        raise RuntimeError("upstream answered nonsense")

    refresher = CatalogRefresher(["up"], broken)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            refresher.run_in(group)
            await refresher.refreshed("up")
            await refresher.refreshed("up")
            group.cancel_scope.cancel()
    assert attempts == ["up", "up"]


async def test_asking_for_an_unknown_upstream_returns_at_once() -> None:
    refresher = CatalogRefresher(["up"], Recorder().refresh)
    with anyio.fail_after(1):
        await refresher.refreshed("unknown")


async def test_a_failing_list_is_retried_without_any_ask_and_covers_every_kind() -> None:
    runs: list[tuple[Kind, ...]] = []
    retried = anyio.Event()

    async def refresh(name: str, kinds: tuple[Kind, ...]) -> None:
        runs.append(kinds)
        if len(runs) == 3:
            retried.set()

    # The lists keep failing: the owner tries again on its own, with backoff.
    refresher = CatalogRefresher(["up"], refresh, lambda name: True, first_retry=0.01, max_retry=0.02)
    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            refresher.run_in(group)
            refresher.request("up", (Kind.TOOLS,))
            await retried.wait()
            group.cancel_scope.cancel()
    # The retries were asked by nobody: whoever may now see more, of any kind, is told.
    assert runs[:3] == [(Kind.TOOLS,), tuple(Kind), tuple(Kind)]
