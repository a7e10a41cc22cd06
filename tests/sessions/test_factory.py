"""The store URL picks the implementation."""

from __future__ import annotations

import pytest

from authz_mcp.config.model import StoreConfig
from authz_mcp.sessions import MemorySessionStore, open_session_store
from authz_mcp.sessions.redis import RedisSessionStore


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("memory://", MemorySessionStore),
        ("sqlite:///var/lib/authz-mcp/state.db", MemorySessionStore),
        ("redis://127.0.0.1:6379/0", RedisSessionStore),
        ("rediss://redis.example.com:6380/1", RedisSessionStore),
    ],
)
async def test_store_url_scheme_selects_the_implementation(url: str, kind: type) -> None:
    store = open_session_store(StoreConfig(url=url), idle_seconds=60)

    assert isinstance(store, kind)
    await store.aclose()
