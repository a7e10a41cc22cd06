"""Redis Cluster: the stores' keys spread over the masters, rather than all in one hash slot.

Keys share a hash tag only where commands need them together; none of the session or token
store's commands does (each touches one key), so a cluster shares their load out.
"""

from __future__ import annotations

from authz_mcp.config import StoreConfig
from authz_mcp.sessions.factory import open_session_store
from authz_mcp.tokens.factory import open_token_store
from tests.sessions.conftest import open_space_at
from tests.sessions.test_contract import make_record as make_session
from tests.support.redis_servers import RedisCluster
from tests.tokens.records import make_record as make_token

USERS = 20


def _keys_per_master(cluster: RedisCluster, match: str) -> list[int]:
    counts = []
    for server in cluster.masters:
        with server.client() as client:
            counts.append(sum(1 for _ in client.scan_iter(match=match)))
    return counts


async def test_sessions_and_tokens_of_many_users_are_spread_over_every_master(
    redis_cluster: RedisCluster,
) -> None:
    async with open_space_at(redis_cluster.url) as space:
        config = StoreConfig(url=redis_cluster.url, key_prefix=space.prefix)
        sessions = open_session_store(config, idle_seconds=600)
        tokens = open_token_store(config)
        try:
            for index in range(USERS):
                user = f"user-{index}"
                await sessions.create(make_session(f"session-of-{user}", owner=user))
                await tokens.add(make_token(user))
            for index in range(USERS):
                assert len(await tokens.list_tokens(f"user-{index}")) == 1
            assert len(await tokens.list_tokens()) == USERS

            session_keys = _keys_per_master(redis_cluster, f"{space.prefix}session:*")
            token_keys = _keys_per_master(redis_cluster, f"{space.prefix}pat*")
        finally:
            await sessions.aclose()
            await tokens.aclose()

    assert sum(session_keys) == USERS
    assert all(count > 0 for count in session_keys), session_keys
    # Per token: its record and its id; per user: an owner index; and one index of all.
    assert sum(token_keys) == 3 * USERS + 1
    assert all(count > 0 for count in token_keys), token_keys
