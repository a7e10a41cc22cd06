"""Tokens and revocations survive a restart in the SQLite and Redis stores."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from authz_mcp.tokens import SqliteTokenStore
from tests.sessions.conftest import open_redis_space
from tests.tokens.conftest import TokenStoreHarness, redis_harness, sqlite_harness
from tests.tokens.records import make_record


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_tokens_and_revocations_survive_a_restart(kind: str, tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        harness: TokenStoreHarness
        if kind == "sqlite":
            harness = sqlite_harness(tmp_path / "state.db")
        else:
            harness = redis_harness(await stack.enter_async_context(open_redis_space()))
        kept, revoked = make_record(), make_record()
        await harness.store.add(kept)
        await harness.store.add(revoked)
        await harness.store.revoke(revoked.token_id, time.time())
        await harness.store.aclose()

        assert harness.reopen is not None
        store = harness.reopen()
        stack.push_async_callback(store.aclose)

        assert await store.find(kept.token_hash) == kept
        found = await store.find(revoked.token_hash)
        assert found is not None
        assert found.revoked_at is not None


async def test_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    await SqliteTokenStore(str(path)).aclose()

    assert path.stat().st_mode & 0o077 == 0
