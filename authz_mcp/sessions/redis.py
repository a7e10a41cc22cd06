"""Sessions in Redis, shared by every replica (DESIGN §6).

One hash per session under `<key_prefix>session:<sha256(session id)>`, one
field per independently updated part (see record.py), and the key's TTL as
the idle expiry. Updates run as a tiny Lua script so that "update only if the
session still exists, then refresh its TTL" is atomic: a plain HSET on an
expired session would recreate a partial record with no TTL.

Redis expires sessions by itself, unseen by any replica, so what is live is
counted by two indexes, `<key_prefix>live-sessions` and `<key_prefix>live-principals`:
sorted sets of session keys scored by when each expires, moved on whenever
its TTL is, trimmed of past scores when counted or added to, and expiring
with their last member. Each command touches one key (no hash tag: the
sessions spread over a cluster's masters); a record and its index entry are
written in one round trip where the outcome allows, and an index entry
refreshed for a session found gone is removed again at once. Scores come
from the replicas' clocks: a count is off by at most the sessions expiring
within the replicas' clock skew.

Every redis-py error is translated here into StoreUnavailable. Reconnecting
is redis-py's job: the next call after Redis returns gets a fresh connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis.asyncio
from redis.asyncio.client import Pipeline

from authz_mcp.errors import SessionNotFound
from authz_mcp.sessions.record import (
    LOG_LEVEL_FIELD,
    SUBSCRIPTION_FIELD,
    UPSTREAM_FIELD,
    SessionRecord,
    is_principal_session_id,
    session_key,
)
from authz_mcp.sessions.store import LiveSessions
from authz_mcp.store.redis import text, translated

logger = logging.getLogger(__name__)

# KEYS[1] session key; ARGV: idle seconds, field, value. Returns 0 when the session is gone.
_SET_FIELD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""

# KEYS[1] session key; ARGV: idle seconds, field. Returns 0 when the session is gone.
_DELETE_FIELD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""

# KEYS[1] session key; ARGV: idle seconds, then field, value pairs. Returns the stored fields
# (flattened) when the session exists, else creates it from ARGV and returns an empty list.
_GET_OR_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  return redis.call('HGETALL', KEYS[1])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {}
"""


class RedisSessionStore:
    """Takes ownership of `client`: `aclose` closes it. `clock` scores the live indexes."""

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        key_prefix: str,
        idle_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if idle_seconds <= 0:
            raise ValueError("idle_seconds must be positive")
        self._client = client
        self._prefix = f"{key_prefix}session:"
        self._live_sessions = f"{key_prefix}live-sessions"
        self._live_principals = f"{key_prefix}live-principals"
        self._idle_seconds = idle_seconds
        self._clock = clock

    async def create(self, record: SessionRecord) -> None:
        key = self._key(record.session_id)
        with translated("session", "create"):
            # MULTI: a reader never sees the old record half replaced, nor a record without TTL.
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.hset(key, items=[part for item in record.to_fields().items() for part in item])
                pipe.expire(key, self._idle_seconds)
                await pipe.execute()
            # Not in the MULTI: in a cluster the index lives in another slot.
            async with self._client.pipeline(transaction=False) as pipe:
                index = self._index(record.session_id)
                pipe.zremrangebyscore(index, "-inf", self._clock())
                self._refresh_entry(pipe, record.session_id, only_if_indexed=False)
                await pipe.execute()

    async def get_or_create(self, record: SessionRecord) -> SessionRecord:
        pairs = [part for item in record.to_fields().items() for part in item]
        with translated("session", "get_or_create"):
            async with self._client.pipeline(transaction=False) as pipe:
                # EVAL rather than EVALSHA: the script cannot be loaded by NOSCRIPT mid-pipeline.
                pipe.eval(_GET_OR_CREATE, 1, self._key(record.session_id), self._idle_seconds, *pairs)
                # Found or created, the record is live now.
                self._refresh_entry(pipe, record.session_id, only_if_indexed=False)
                stored, *_ = await pipe.execute()
        if not stored:
            return record
        flat = [text(part) for part in stored]
        try:
            return SessionRecord.from_fields(record.session_id, dict(zip(flat[::2], flat[1::2], strict=True)))
        except ValueError:
            logger.exception("replacing a malformed session record")
            await self.create(record)
            return record

    async def get(self, session_id: str) -> SessionRecord | None:
        key = self._key(session_id)
        with translated("session", "get"):
            # One round trip; no MULTI needed, EXPIRE on a missing key is a no-op.
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.hgetall(key)
                pipe.expire(key, self._idle_seconds)
                self._refresh_entry(pipe, session_id)
                stored, *_ = await pipe.execute()
        if not stored:
            await self._unindex(session_id)
            return None
        try:
            fields = {text(name): text(value) for name, value in stored.items()}
            return SessionRecord.from_fields(session_id, fields)
        except ValueError:
            # Treated as unknown (fails closed: 404, the client starts a new session).
            logger.exception("ignoring a malformed session record")
            return None

    async def set_upstream_session(self, session_id: str, upstream: str, handle: str) -> None:
        await self._update(_SET_FIELD, session_id, UPSTREAM_FIELD + upstream, handle)

    async def set_log_level(self, session_id: str, level: str) -> None:
        await self._update(_SET_FIELD, session_id, LOG_LEVEL_FIELD, level)

    async def add_subscription(self, session_id: str, uri: str) -> None:
        await self._update(_SET_FIELD, session_id, SUBSCRIPTION_FIELD + uri, "1")

    async def remove_subscription(self, session_id: str, uri: str) -> None:
        await self._update(_DELETE_FIELD, session_id, SUBSCRIPTION_FIELD + uri)

    async def delete(self, session_id: str) -> bool:
        with translated("session", "delete"):
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.delete(self._key(session_id))
                pipe.zrem(self._index(session_id), session_key(session_id))
                removed, _ = await pipe.execute()
        return bool(removed)

    async def count_live(self) -> LiveSessions:
        now = self._clock()
        with translated("session", "count"):
            async with self._client.pipeline(transaction=False) as pipe:
                for index in (self._live_sessions, self._live_principals):
                    pipe.zremrangebyscore(index, "-inf", now)
                    pipe.zcard(index)
                _, sessions, _, principals = await pipe.execute()
        return LiveSessions(sessions=int(sessions), principals=int(principals))

    async def ping(self) -> None:
        with translated("session", "ping"):
            await self._client.ping()

    async def aclose(self) -> None:
        with translated("session", "close"):
            await self._client.aclose()

    async def _update(self, script: str, session_id: str, *args: str) -> None:
        with translated("session", "update"):
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.eval(script, 1, self._key(session_id), self._idle_seconds, *args)
                self._refresh_entry(pipe, session_id)
                found, *_ = await pipe.execute()
        if not found:
            await self._unindex(session_id)
            raise SessionNotFound()

    def _refresh_entry(self, pipe: Pipeline, session_id: str, *, only_if_indexed: bool = True) -> None:
        """Queue the index update for a session whose TTL the same round trip restarts.

        `only_if_indexed` (ZADD XX) when the session may turn out to be gone: then no entry is
        made for it, and the caller removes one it may have refreshed (`_unindex`)."""
        index = self._index(session_id)
        expires = self._clock() + self._idle_seconds
        pipe.zadd(index, {session_key(session_id): expires}, xx=only_if_indexed)
        # The index outlives none of its members, and nothing once they are all gone.
        pipe.expire(index, self._idle_seconds)

    async def _unindex(self, session_id: str) -> None:
        with translated("session", "unindex"):
            await self._client.zrem(self._index(session_id), session_key(session_id))

    def _index(self, session_id: str) -> str:
        return self._live_principals if is_principal_session_id(session_id) else self._live_sessions

    def _key(self, session_id: str) -> str:
        return self._prefix + session_key(session_id)
