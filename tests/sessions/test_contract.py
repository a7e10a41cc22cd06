"""The SessionStore contract: every implementation passes every test here."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from authz_mcp.errors import SessionNotFound
from authz_mcp.sessions import SessionRecord, SessionStore, principal_session_id, session_key
from authz_mcp.sessions.store import LiveSessions
from tests.sessions.conftest import IDLE_SECONDS, StoreHarness

SESSION_ID = "3f6c1e0a-live-session-id-9b2d"


def make_record(session_id: str = SESSION_ID, **changes: object) -> SessionRecord:
    record = SessionRecord(
        session_id=session_id,
        owner="alice",
        protocol_version="2025-11-25",
        client_info={"name": "inspector", "version": "1.2.0"},
        client_capabilities={"roots": {"listChanged": True}, "sampling": {}},
        created_at=1_767_225_600.125,
    )
    for name, value in changes.items():
        setattr(record, name, value)
    return record


async def test_created_session_round_trips(harness: StoreHarness) -> None:
    record = make_record(
        upstream_sessions={"github": "up-1", "fs": ""},
        log_level="debug",
        subscriptions=["file:///a.txt", "file:///b.txt"],
        client_info={"name": "ide", "nested": {"list": [1, 2.5, None, "ü"]}},
    )
    await harness.store.create(record)

    assert await harness.store.get(SESSION_ID) == record


async def test_unknown_session_is_none(harness: StoreHarness) -> None:
    await harness.store.create(make_record())

    assert await harness.store.get("some-other-session") is None


async def test_delete_removes_the_session_and_reports_whether_it_existed(harness: StoreHarness) -> None:
    await harness.store.create(make_record())

    assert await harness.store.delete(SESSION_ID) is True
    assert await harness.store.get(SESSION_ID) is None
    assert await harness.store.delete(SESSION_ID) is False


async def test_create_replaces_a_session_with_the_same_id(harness: StoreHarness) -> None:
    await harness.store.create(make_record(subscriptions=["file:///old"], log_level="info"))
    replacement = make_record(owner="bob")
    await harness.store.create(replacement)

    assert await harness.store.get(SESSION_ID) == replacement


async def test_concurrent_updates_of_different_parts_are_all_kept(harness: StoreHarness) -> None:
    await harness.store.create(make_record())

    await asyncio.gather(
        harness.store.set_upstream_session(SESSION_ID, "github", "gh-handle"),
        harness.store.set_upstream_session(SESSION_ID, "fs", "fs-handle"),
        harness.store.add_subscription(SESSION_ID, "file:///a.txt"),
        harness.store.add_subscription(SESSION_ID, "file:///b.txt"),
        harness.store.set_log_level(SESSION_ID, "warning"),
    )

    stored = await harness.store.get(SESSION_ID)
    assert stored is not None
    assert stored.upstream_sessions == {"github": "gh-handle", "fs": "fs-handle"}
    assert stored.subscriptions == ["file:///a.txt", "file:///b.txt"]
    assert stored.log_level == "warning"


async def test_subscriptions_behave_as_a_set(harness: StoreHarness) -> None:
    await harness.store.create(make_record())

    await harness.store.add_subscription(SESSION_ID, "file:///z")
    await harness.store.add_subscription(SESSION_ID, "file:///a")
    await harness.store.add_subscription(SESSION_ID, "file:///z")
    await harness.store.remove_subscription(SESSION_ID, "file:///a")
    await harness.store.remove_subscription(SESSION_ID, "file:///never-subscribed")

    stored = await harness.store.get(SESSION_ID)
    assert stored is not None
    assert stored.subscriptions == ["file:///z"]


async def test_upstream_handle_is_replaced_not_duplicated(harness: StoreHarness) -> None:
    await harness.store.create(make_record(upstream_sessions={"github": "old"}))

    await harness.store.set_upstream_session(SESSION_ID, "github", "new")

    stored = await harness.store.get(SESSION_ID)
    assert stored is not None
    assert stored.upstream_sessions == {"github": "new"}


UPDATES: dict[str, Callable[[SessionStore], Awaitable[None]]] = {
    "set_upstream_session": lambda store: store.set_upstream_session(SESSION_ID, "github", "h"),
    "set_log_level": lambda store: store.set_log_level(SESSION_ID, "debug"),
    "add_subscription": lambda store: store.add_subscription(SESSION_ID, "file:///a"),
    "remove_subscription": lambda store: store.remove_subscription(SESSION_ID, "file:///a"),
}


@pytest.mark.parametrize("update", UPDATES.values(), ids=UPDATES.keys())
async def test_updating_an_unknown_session_raises_not_found_and_creates_nothing(
    harness: StoreHarness, update: Callable[[SessionStore], Awaitable[None]]
) -> None:
    with pytest.raises(SessionNotFound):
        await update(harness.store)

    assert await harness.store.get(SESSION_ID) is None
    assert await harness.dump() == []


async def test_session_expires_after_idle_period(harness: StoreHarness) -> None:
    await harness.store.create(make_record())

    await harness.age(IDLE_SECONDS)

    assert await harness.store.get(SESSION_ID) is None


async def test_get_restarts_the_idle_period(harness: StoreHarness) -> None:
    await harness.store.create(make_record())

    for _ in range(3):
        await harness.age(IDLE_SECONDS - 60)
        assert await harness.store.get(SESSION_ID) is not None


@pytest.mark.parametrize("update", UPDATES.values(), ids=UPDATES.keys())
async def test_updates_restart_the_idle_period(
    harness: StoreHarness, update: Callable[[SessionStore], Awaitable[None]]
) -> None:
    await harness.store.create(make_record())

    await harness.age(IDLE_SECONDS - 60)
    await update(harness.store)
    await harness.age(IDLE_SECONDS - 60)

    assert await harness.store.get(SESSION_ID) is not None


async def test_an_expired_session_cannot_be_revived_by_an_update(harness: StoreHarness) -> None:
    await harness.store.create(make_record())
    await harness.age(IDLE_SECONDS)

    with pytest.raises(SessionNotFound):
        await harness.store.set_upstream_session(SESSION_ID, "github", "h")

    assert await harness.store.get(SESSION_ID) is None


async def test_store_never_holds_the_raw_session_id(harness: StoreHarness) -> None:
    await harness.store.create(make_record(upstream_sessions={"github": "h"}, subscriptions=["file:///a"]))

    stored = await harness.dump()

    assert any(session_key(SESSION_ID) in text for text in stored)
    assert not any(SESSION_ID in text for text in stored)


async def test_returned_records_are_copies(harness: StoreHarness) -> None:
    await harness.store.create(make_record())
    first = await harness.store.get(SESSION_ID)
    assert first is not None

    first.upstream_sessions["github"] = "mutated"
    first.client_info["name"] = "mutated"

    assert await harness.store.get(SESSION_ID) == make_record()


async def test_ping_succeeds_while_the_store_is_up(harness: StoreHarness) -> None:
    await harness.store.ping()


async def test_live_sessions_and_principal_records_are_counted_apart(harness: StoreHarness) -> None:
    for index in range(3):
        await harness.store.create(make_record(f"session-{index}"))
    for owner in ("alice", "bob"):
        await harness.store.get_or_create(make_record(principal_session_id(owner), owner=owner))
    await harness.store.get_or_create(make_record(principal_session_id("alice")))
    await harness.store.create(make_record("session-0"))  # replaced, still one

    assert await harness.store.count_live() == LiveSessions(sessions=3, principals=2)


async def test_deleted_and_expired_sessions_are_no_longer_counted(harness: StoreHarness) -> None:
    for index in range(4):
        await harness.store.create(make_record(f"session-{index}"))
    await harness.store.delete("session-0")
    await harness.age(IDLE_SECONDS - 60)
    assert await harness.store.get("session-1") is not None
    await harness.store.set_log_level("session-2", "debug")
    await harness.age(60)

    assert await harness.store.count_live() == LiveSessions(sessions=2, principals=0)


async def test_a_session_found_gone_is_not_counted_again(harness: StoreHarness) -> None:
    await harness.store.create(make_record("gone"))
    await harness.age(IDLE_SECONDS - 60)
    await harness.store.create(make_record("live"))
    await harness.age(60)

    assert await harness.store.get("gone") is None
    with pytest.raises(SessionNotFound):
        await harness.store.add_subscription("gone", "file:///a")

    assert await harness.store.count_live() == LiveSessions(sessions=1, principals=0)


async def test_once_every_session_expired_the_store_holds_nothing(harness: StoreHarness) -> None:
    await harness.store.create(make_record())
    await harness.store.get_or_create(make_record(principal_session_id("alice")))
    await harness.age(IDLE_SECONDS)

    assert await harness.store.count_live() == LiveSessions(sessions=0, principals=0)
    assert await harness.dump() == []
