"""Sessions in Redis, shared by every replica (DESIGN §6).

One hash per session under `<key_prefix>session:<sha256(session id)>`, one
field per independently updated part (see record.py), and the key's TTL as
the idle expiry. Updates run as a tiny Lua script so that "update only if the
session still exists, then refresh its TTL" is atomic: a plain HSET on an
expired session would recreate a partial record with no TTL.

Every redis-py error is translated here into StoreUnavailable. Reconnecting
is redis-py's job: the next call after Redis returns gets a fresh connection.
"""

from __future__ import annotations

import logging

import redis.asyncio
from redis.commands.core import AsyncScript

from authz_mcp.errors import SessionNotFound
from authz_mcp.sessions.record import (
    LOG_LEVEL_FIELD,
    SUBSCRIPTION_FIELD,
    UPSTREAM_FIELD,
    SessionRecord,
    session_key,
)
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
    """Takes ownership of `client`: `aclose` closes it."""

    def __init__(self, client: redis.asyncio.Redis, *, key_prefix: str, idle_seconds: int) -> None:
        if idle_seconds <= 0:
            raise ValueError("idle_seconds must be positive")
        self._client = client
        self._prefix = f"{key_prefix}session:"
        self._idle_seconds = idle_seconds
        self._set_field = client.register_script(_SET_FIELD)
        self._delete_field = client.register_script(_DELETE_FIELD)
        self._get_or_create = client.register_script(_GET_OR_CREATE)

    async def create(self, record: SessionRecord) -> None:
        key = self._key(record.session_id)
        with translated("session", "create"):
            # MULTI: a reader never sees the old record half replaced, nor a record without TTL.
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.hset(key, items=[part for item in record.to_fields().items() for part in item])
                pipe.expire(key, self._idle_seconds)
                await pipe.execute()

    async def get_or_create(self, record: SessionRecord) -> SessionRecord:
        pairs = [part for item in record.to_fields().items() for part in item]
        with translated("session", "get_or_create"):
            stored = await self._get_or_create(
                keys=[self._key(record.session_id)], args=[self._idle_seconds, *pairs]
            )
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
                stored, _ = await pipe.execute()
        if not stored:
            return None
        try:
            fields = {text(name): text(value) for name, value in stored.items()}
            return SessionRecord.from_fields(session_id, fields)
        except ValueError:
            # Treated as unknown (fails closed: 404, the client starts a new session).
            logger.exception("ignoring a malformed session record")
            return None

    async def set_upstream_session(self, session_id: str, upstream: str, handle: str) -> None:
        await self._update(self._set_field, session_id, UPSTREAM_FIELD + upstream, handle)

    async def set_log_level(self, session_id: str, level: str) -> None:
        await self._update(self._set_field, session_id, LOG_LEVEL_FIELD, level)

    async def add_subscription(self, session_id: str, uri: str) -> None:
        await self._update(self._set_field, session_id, SUBSCRIPTION_FIELD + uri, "1")

    async def remove_subscription(self, session_id: str, uri: str) -> None:
        await self._update(self._delete_field, session_id, SUBSCRIPTION_FIELD + uri)

    async def delete(self, session_id: str) -> bool:
        with translated("session", "delete"):
            removed = await self._client.delete(self._key(session_id))
        return bool(removed)

    async def ping(self) -> None:
        with translated("session", "ping"):
            await self._client.ping()

    async def aclose(self) -> None:
        with translated("session", "close"):
            await self._client.aclose()

    async def _update(self, script: AsyncScript, session_id: str, *args: str) -> None:
        with translated("session", "update"):
            found = await script(keys=[self._key(session_id)], args=[self._idle_seconds, *args])
        if not found:
            raise SessionNotFound()

    def _key(self, session_id: str) -> str:
        return self._prefix + session_key(session_id)
