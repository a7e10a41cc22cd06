"""Fixtures for the session store tests: a real Redis, and one harness per implementation.

Redis tests use AUTHZ_MCP_TEST_REDIS_URL (default redis://127.0.0.1:6379/0, no
query string) and are skipped with a reason when it does not answer. Each test
gets its own key prefix, and its keys are deleted afterwards.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from uuid import uuid4

import pytest
import redis.asyncio
from redis.exceptions import RedisError

from authz_mcp.sessions import MemorySessionStore, SessionStore
from authz_mcp.sessions.redis import RedisSessionStore
from authz_mcp.store.redis import connect
from tests.support.redis import REDIS_URL

IDLE_SECONDS = 600


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass(slots=True)
class StoreHarness:
    store: SessionStore
    age: Callable[[float], Awaitable[None]]
    """Let `seconds` pass for every stored session, as if they went unused that long."""
    dump: Callable[[], Awaitable[list[str]]]
    """Every stored key and value, as text."""


@dataclass(slots=True)
class RedisSpace:
    """A connection for inspecting Redis, and a key prefix no other test uses."""

    admin: redis.asyncio.Redis
    prefix: str

    async def keys(self) -> list[str]:
        return [key async for key in self.admin.scan_iter(match=f"{self.prefix}*")]


@asynccontextmanager
async def open_redis_space() -> AsyncIterator[RedisSpace]:
    admin = redis.asyncio.from_url(REDIS_URL, decode_responses=True, socket_connect_timeout=2)
    try:
        await admin.ping()
    except RedisError as exc:
        await admin.aclose()
        # CI provides Redis: there a missing server is a failure, never a silent skip.
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    space = RedisSpace(admin, f"authz-mcp-test:{uuid4().hex}:")
    try:
        yield space
    finally:
        for key in await space.keys():
            await admin.delete(key)
        await admin.aclose()


@pytest.fixture
async def redis_space() -> AsyncIterator[RedisSpace]:
    async with open_redis_space() as space:
        yield space


def memory_harness() -> StoreHarness:
    clock = FakeClock()
    store = MemorySessionStore(IDLE_SECONDS, clock=clock)

    async def age(seconds: float) -> None:
        clock.now += seconds

    async def dump() -> list[str]:
        entries = store._entries.items()
        return [
            text for key, entry in entries for text in (key, *entry.fields.keys(), *entry.fields.values())
        ]

    return StoreHarness(store, age, dump)


def redis_harness(space: RedisSpace, client: redis.asyncio.Redis | None = None) -> StoreHarness:
    """The Redis store under the space's prefix, on `client` (default: the shared test Redis)."""
    if client is None:
        client = redis.asyncio.from_url(REDIS_URL, decode_responses=True)
    clock = FakeClock()
    store = RedisSessionStore(client, key_prefix=space.prefix, idle_seconds=IDLE_SECONDS, clock=clock)

    async def age(seconds: float) -> None:
        # Shortening the TTL is time passing, as far as Redis can tell (PEXPIRE with a
        # non-positive time deletes the key, as expiry would); the clock, for the store.
        clock.now += seconds
        for key in await space.keys():
            remaining = await space.admin.pttl(key)
            if remaining > 0:
                await space.admin.pexpire(key, remaining - int(seconds * 1000))

    async def dump() -> list[str]:
        texts: list[str] = []
        for key in await space.keys():
            if await space.admin.type(key) == "zset":
                texts += [key, *await space.admin.zrange(key, 0, -1)]
                continue
            stored = await space.admin.hgetall(key)
            texts += [key, *map(str, stored.keys()), *map(str, stored.values())]
        return texts

    return StoreHarness(store, age, dump)


@asynccontextmanager
async def open_space_at(url: str) -> AsyncIterator[RedisSpace]:
    """A RedisSpace on the Redis a store URL names, connected as the gateway connects: in a
    cluster its admin client scans every master, behind sentinels it follows the master."""
    admin = connect(url)
    space = RedisSpace(admin, f"authz-mcp-test:{uuid4().hex}:")
    try:
        yield space
    finally:
        for key in await space.keys():
            await admin.delete(key)
        await admin.aclose()


@pytest.fixture(params=["memory", "redis", "sentinel", "cluster"])
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[StoreHarness]:
    async with AsyncExitStack() as stack:
        if request.param == "memory":
            made = memory_harness()
        elif request.param in ("sentinel", "cluster"):
            # The client the gateway connects for a `redis+sentinel://` or `redis+cluster://` URL.
            url = request.getfixturevalue(f"redis_{request.param}").url
            made = redis_harness(await stack.enter_async_context(open_space_at(url)), connect(url))
        else:
            made = redis_harness(await stack.enter_async_context(open_redis_space()))
        stack.push_async_callback(made.store.aclose)
        yield made
