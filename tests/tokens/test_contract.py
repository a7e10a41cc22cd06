"""The TokenStore contract: memory, SQLite and Redis pass every test here."""

from __future__ import annotations

import time

from authz_mcp.config.model import PersonalTokenConfig
from authz_mcp.tokens import TokenService
from authz_mcp.tokens.record import RETENTION_SECONDS
from authz_mcp.tokens.secret import token_hash
from tests.tokens.conftest import TokenStoreHarness
from tests.tokens.records import make_record


async def test_added_record_is_found_by_hash_and_by_id(harness: TokenStoreHarness) -> None:
    record = make_record(scopes=None, last_used_at=time.time(), name='ü name, with "quotes"')
    await harness.store.add(record)

    assert await harness.store.find(record.token_hash) == record
    assert await harness.store.get(record.token_id) == record


async def test_unknown_hash_and_id_are_none(harness: TokenStoreHarness) -> None:
    await harness.store.add(make_record())

    assert await harness.store.find(token_hash("amcp_unknown")) is None
    assert await harness.store.get("0123456789abcdef") is None


async def test_list_gives_an_owners_records_oldest_first(harness: TokenStoreHarness) -> None:
    now = time.time()
    newer = make_record(created_at=now - 10)
    older = make_record(created_at=now - 20)
    bobs = make_record("bob")
    for record in (newer, older, bobs):
        await harness.store.add(record)

    assert await harness.store.list_tokens("alice") == [older, newer]
    assert await harness.store.list_tokens("bob") == [bobs]
    assert await harness.store.list_tokens("carol") == []
    assert await harness.store.list_tokens() == [older, newer, bobs]


async def test_revoke_is_seen_by_the_next_lookup_and_keeps_the_first_time(
    harness: TokenStoreHarness,
) -> None:
    record = make_record()
    await harness.store.add(record)

    revoked = await harness.store.revoke(record.token_id, 1_900_000_000.5)
    again = await harness.store.revoke(record.token_id, 1_900_000_999.0)

    assert revoked is not None
    assert revoked.revoked_at == 1_900_000_000.5
    assert again == revoked
    found = await harness.store.find(record.token_hash)
    assert found is not None
    assert found.status(time.time()) == "revoked"


async def test_revoke_and_touch_of_an_unknown_token_create_nothing(harness: TokenStoreHarness) -> None:
    before = await harness.dump()

    assert await harness.store.revoke("0123456789abcdef", time.time()) is None
    await harness.store.touch("0123456789abcdef", time.time())

    assert await harness.store.list_tokens() == []
    assert await harness.dump() == before


async def test_touch_records_the_last_use(harness: TokenStoreHarness) -> None:
    record = make_record()
    await harness.store.add(record)

    await harness.store.touch(record.token_id, 1_900_000_123.25)

    found = await harness.store.get(record.token_id)
    assert found is not None
    assert found.last_used_at == 1_900_000_123.25


async def test_expired_token_is_kept_for_the_retention_period(harness: TokenStoreHarness) -> None:
    now = time.time()
    record = make_record(created_at=now - 7200, expires_at=now - 3600)
    await harness.store.add(record)

    found = await harness.store.find(record.token_hash)
    assert found is not None
    assert found.status(now) == "expired"
    assert await harness.store.list_tokens("alice") == [record]


async def test_records_past_their_retention_are_dropped(harness: TokenStoreHarness) -> None:
    now = time.time()
    gone = make_record(created_at=now - RETENTION_SECONDS - 7200, expires_at=now - RETENTION_SECONDS - 60)
    await harness.store.add(gone)
    await harness.store.add(make_record("bob"))

    assert await harness.store.find(gone.token_hash) is None
    assert await harness.store.get(gone.token_id) is None
    assert [r.owner for r in await harness.store.list_tokens()] == ["bob"]


async def test_the_token_itself_is_never_in_the_store(harness: TokenStoreHarness) -> None:
    service = TokenService(harness.store, PersonalTokenConfig())
    issued = await service.create(owner="alice", created_by="alice", name="ci", scopes=["demo/tools/*"])
    secret = issued.token.removeprefix("amcp_")

    stored = await harness.dump()

    assert issued.record.token_id in stored
    assert token_hash(issued.token) in stored
    assert secret not in stored
    assert secret[:16] not in stored
