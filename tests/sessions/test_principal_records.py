"""The SessionStore contract for per-principal records (sessionless 2026-07-28 clients):
`get_or_create`, held to the same bounds as sessions. Every implementation passes it."""

from __future__ import annotations

import asyncio
import secrets

from authz_mcp.sessions import SessionRecord, is_principal_session_id, principal_session_id
from tests.sessions.conftest import IDLE_SECONDS, StoreHarness

OWNER = "https://idp.example\x1falice"


def principal_record(owner: str = OWNER, **changes: object) -> SessionRecord:
    record = SessionRecord(
        session_id=principal_session_id(owner),
        owner=owner,
        protocol_version="2026-07-28",
        client_info={},
        client_capabilities={"sampling": {}},
        created_at=1_767_225_600.5,
    )
    for name, value in changes.items():
        setattr(record, name, value)
    return record


async def test_get_or_create_creates_once_and_then_returns_what_is_stored(harness: StoreHarness) -> None:
    created = await harness.store.get_or_create(principal_record())
    await harness.store.set_upstream_session(created.session_id, "web", "up-1")

    again = await harness.store.get_or_create(principal_record(created_at=1.0))

    assert again == principal_record(upstream_sessions={"web": "up-1"})


async def test_racing_get_or_create_calls_share_one_record(harness: StoreHarness) -> None:
    records = await asyncio.gather(
        *(harness.store.get_or_create(principal_record(created_at=float(n))) for n in range(5))
    )

    assert len({record.created_at for record in records}) == 1


async def test_a_principal_record_expires_when_idle_and_each_use_restarts_the_period(
    harness: StoreHarness,
) -> None:
    await harness.store.get_or_create(principal_record(upstream_sessions={"web": "up-1"}))
    await harness.age(IDLE_SECONDS - 60)
    assert (await harness.store.get_or_create(principal_record())).upstream_sessions == {"web": "up-1"}
    await harness.age(IDLE_SECONDS - 60)
    assert await harness.store.get(principal_session_id(OWNER)) is not None

    await harness.age(IDLE_SECONDS)

    assert (await harness.store.get_or_create(principal_record())).upstream_sessions == {}


async def test_principal_records_are_keyed_apart_and_hold_no_owner_id_in_their_key(
    harness: StoreHarness,
) -> None:
    alice = await harness.store.get_or_create(principal_record())
    bob = await harness.store.get_or_create(principal_record("https://idp.example\x1fbob"))

    assert alice.session_id != bob.session_id
    assert is_principal_session_id(alice.session_id)
    assert not any(alice.session_id in text for text in await harness.dump())


def test_minted_session_ids_are_never_principal_ids() -> None:
    assert not any(is_principal_session_id(secrets.token_urlsafe(32)) for _ in range(1000))
