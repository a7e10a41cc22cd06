"""What only the Redis store promises: TTL expiry, sharing between replicas, outages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
import redis.asyncio
from redis.exceptions import RedisError

from authz_mcp.config.model import StoreConfig
from authz_mcp.errors import StoreUnavailable
from authz_mcp.sessions import SessionStore, open_session_store, session_key
from authz_mcp.sessions.redis import RedisSessionStore
from authz_mcp.sessions.store import LiveSessions
from tests.sessions.conftest import RedisSpace
from tests.sessions.test_contract import SESSION_ID, make_record
from tests.support.redis import REDIS_URL
from tests.support.relay import TcpRelay

IDLE_SECONDS = 120


def open_store(space: RedisSpace) -> RedisSessionStore:
    client = redis.asyncio.from_url(REDIS_URL, decode_responses=True)
    return RedisSessionStore(client, key_prefix=space.prefix, idle_seconds=IDLE_SECONDS)


async def test_session_key_carries_an_idle_ttl_that_get_refreshes(redis_space: RedisSpace) -> None:
    store = open_store(redis_space)
    await store.create(make_record())
    key = f"{redis_space.prefix}session:{session_key(SESSION_ID)}"
    index = f"{redis_space.prefix}live-sessions"
    assert sorted(await redis_space.keys()) == sorted([key, index])
    assert 0 < await redis_space.admin.ttl(key) <= IDLE_SECONDS
    assert 0 < await redis_space.admin.ttl(index) <= IDLE_SECONDS

    await redis_space.admin.expire(key, 5)
    await store.get(SESSION_ID)

    assert 5 < await redis_space.admin.ttl(key) <= IDLE_SECONDS
    await store.aclose()


async def test_two_replicas_on_one_prefix_share_sessions(redis_space: RedisSpace) -> None:
    first, second = open_store(redis_space), open_store(redis_space)

    await first.create(make_record())
    await second.set_upstream_session(SESSION_ID, "github", "gh-1")
    await first.add_subscription(SESSION_ID, "file:///a")

    assert await second.get(SESSION_ID) == make_record(
        upstream_sessions={"github": "gh-1"}, subscriptions=["file:///a"]
    )
    assert await second.count_live() == LiveSessions(sessions=1, principals=0)
    assert await second.delete(SESSION_ID) is True
    assert await first.get(SESSION_ID) is None
    assert await first.count_live() == LiveSessions(sessions=0, principals=0)
    await first.aclose()
    await second.aclose()


async def test_a_malformed_record_reads_as_unknown(redis_space: RedisSpace) -> None:
    store = open_store(redis_space)
    key = f"{redis_space.prefix}session:{session_key(SESSION_ID)}"
    await redis_space.admin.hset(key, mapping={"owner": "alice", "client_info": "not json"})

    assert await store.get(SESSION_ID) is None
    await store.aclose()


CALLS: dict[str, Callable[[SessionStore], Awaitable[object]]] = {
    "create": lambda store: store.create(make_record()),
    "get": lambda store: store.get(SESSION_ID),
    "set_upstream_session": lambda store: store.set_upstream_session(SESSION_ID, "github", "h"),
    "remove_subscription": lambda store: store.remove_subscription(SESSION_ID, "file:///a"),
    "delete": lambda store: store.delete(SESSION_ID),
    "count_live": lambda store: store.count_live(),
    "ping": lambda store: store.ping(),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
async def test_unreachable_redis_raises_store_unavailable(
    call: Callable[[SessionStore], Awaitable[object]],
) -> None:
    # Port 1 refuses connections: the outage is immediate, not a timeout.
    store = open_session_store(StoreConfig(url="redis://127.0.0.1:1/0"), idle_seconds=IDLE_SECONDS)

    with pytest.raises(StoreUnavailable) as raised:
        await call(store)

    assert isinstance(raised.value.__cause__, RedisError)
    await store.aclose()


@pytest.fixture
async def relay() -> AsyncIterator[TcpRelay]:
    target = urlsplit(REDIS_URL)
    relay = TcpRelay(target.hostname or "127.0.0.1", target.port or 6379)
    await relay.start()
    yield relay
    await relay.cut()


async def test_store_resumes_by_itself_when_redis_returns(redis_space: RedisSpace, relay: TcpRelay) -> None:
    url = f"redis://127.0.0.1:{relay.port}{urlsplit(REDIS_URL).path}"
    store = open_session_store(
        StoreConfig(url=url, key_prefix=redis_space.prefix),
        idle_seconds=IDLE_SECONDS,
    )
    await store.create(make_record())

    await relay.cut()
    with pytest.raises(StoreUnavailable):
        await store.get(SESSION_ID)
    with pytest.raises(StoreUnavailable):
        await store.ping()

    await relay.start()
    await store.ping()
    assert await store.get(SESSION_ID) == make_record()
    await store.aclose()


async def test_a_dropped_connection_is_replaced_without_failing_the_call(redis_space: RedisSpace) -> None:
    name = f"authz-mcp-test-{uuid4().hex}"
    store = open_session_store(
        StoreConfig(url=f"{REDIS_URL}?client_name={name}", key_prefix=redis_space.prefix),
        idle_seconds=IDLE_SECONDS,
    )
    await store.create(make_record())
    (killed,) = [client for client in await redis_space.admin.client_list() if client["name"] == name]

    assert await redis_space.admin.client_kill_filter(_id=killed["id"]) == 1

    assert await store.get(SESSION_ID) == make_record()
    await store.aclose()
