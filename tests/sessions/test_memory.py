"""What only the memory store promises: a bound on the number of sessions."""

from __future__ import annotations

import pytest

from authz_mcp.sessions import MemorySessionStore, session_key
from tests.sessions.conftest import FakeClock
from tests.sessions.test_contract import make_record


async def test_full_store_evicts_the_oldest_idle_session() -> None:
    clock = FakeClock()
    store = MemorySessionStore(idle_seconds=600, max_sessions=2, clock=clock)
    await store.create(make_record("a"))
    clock.now += 1
    await store.create(make_record("b"))
    clock.now += 1
    await store.get("a")

    await store.create(make_record("c"))

    assert await store.get("b") is None
    assert await store.get("a") is not None
    assert await store.get("c") is not None


async def test_expired_sessions_are_released_when_a_session_is_created() -> None:
    clock = FakeClock()
    store = MemorySessionStore(idle_seconds=600, max_sessions=10, clock=clock)
    for name in ("old-1", "old-2", "live"):
        await store.create(make_record(name))
        clock.now += 300

    await store.create(make_record("new"))

    assert sorted(store._entries) == sorted(session_key(name) for name in ("live", "new"))


@pytest.mark.parametrize(("idle_seconds", "max_sessions"), [(0, 10), (60, 0)])
def test_bounds_must_be_positive(idle_seconds: int, max_sessions: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        MemorySessionStore(idle_seconds, max_sessions)
