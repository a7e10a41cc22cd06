"""Personal tokens in Redis, shared by every replica (DESIGN §6).

Keys under the store's prefix, each expiring when its record's retention ends:

- `pat:<sha256 of token>`: a hash with the record's fields (found on every request);
- `pat-id:<id>`: the token's hash, to reach the record from the id that users see;
- `pat-owner:<sha256 of owner>` and `pat-all`: sorted sets of ids scored by purge time,
  trimmed as they are read, for listing.

Every command touches one key, so Redis Cluster works too. No replica caches a record: a
revocation written by any process is read by the next request on every replica. redis-py
errors become StoreUnavailable here, at the one boundary.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import redis.asyncio
from redis.commands.core import AsyncScript

from authz_mcp.store.redis import text, translated
from authz_mcp.tokens.record import TokenRecord

logger = logging.getLogger(__name__)

# KEYS[1] record key; ARGV[1] expiry (unix seconds), then field, value pairs.
_WRITE = """
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return 1
"""

# KEYS[1] record key; ARGV field, value. Only an existing record is changed: a plain HSET on
# a purged record would recreate a partial one without expiry.
_SET_IF_PRESENT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

# As _SET_IF_PRESENT, but an existing value is kept (the first revocation time stays).
_SET_ONCE_IF_PRESENT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class RedisTokenStore:
    """Takes ownership of `client` (created with decode_responses=True): `aclose` closes it."""

    def __init__(
        self, client: redis.asyncio.Redis, *, key_prefix: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._prefix = key_prefix
        self._clock = clock
        self._write = client.register_script(_WRITE)
        self._set_if_present = client.register_script(_SET_IF_PRESENT)
        self._set_once_if_present = client.register_script(_SET_ONCE_IF_PRESENT)

    async def add(self, record: TokenRecord) -> None:
        purge_at = math.ceil(record.purge_at)
        fields = [part for item in record.to_fields().items() for part in item]
        with translated("token", "add"):
            # Indexes first: should the record write fail, a dangling id is harmless, while a
            # usable token without an id could not be revoked.
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.set(self._id_key(record.token_id), record.token_hash, exat=purge_at)
                for index in (self._owner_key(record.owner), self._all_key):
                    pipe.zadd(index, {record.token_id: purge_at})
                    pipe.zremrangebyscore(index, "-inf", self._clock())
                await pipe.execute()
            await self._write(keys=[self._record_key(record.token_hash)], args=[purge_at, *fields])

    async def find(self, token_hash: str) -> TokenRecord | None:
        with translated("token", "find"):
            fields = await self._client.hgetall(self._record_key(token_hash))
        return _record(fields)

    async def get(self, token_id: str) -> TokenRecord | None:
        with translated("token", "get"):
            token_hash = await self._client.get(self._id_key(token_id))
        return None if token_hash is None else await self.find(text(token_hash))

    async def list_tokens(self, owner: str | None = None) -> list[TokenRecord]:
        index = self._all_key if owner is None else self._owner_key(owner)
        with translated("token", "list"):
            members = await self._client.zrangebyscore(index, self._clock(), "+inf")
            ids = [text(member) for member in members if isinstance(member, str | bytes)]
            async with self._client.pipeline(transaction=False) as pipe:
                for token_id in ids:
                    pipe.get(self._id_key(token_id))
                hashes = await pipe.execute()
            async with self._client.pipeline(transaction=False) as pipe:
                for token_hash in hashes:
                    if token_hash is not None:
                        pipe.hgetall(self._record_key(text(token_hash)))
                stored = await pipe.execute()
        records = [record for fields in stored if (record := _record(fields)) is not None]
        return sorted(records, key=lambda r: (r.created_at, r.token_id))

    async def revoke(self, token_id: str, at: float) -> TokenRecord | None:
        await self._set(self._set_once_if_present, token_id, "revoked_at", at)
        return await self.get(token_id)

    async def touch(self, token_id: str, at: float) -> None:
        await self._set(self._set_if_present, token_id, "last_used_at", at)

    async def ping(self) -> None:
        with translated("token", "ping"):
            await self._client.ping()

    async def aclose(self) -> None:
        with translated("token", "close"):
            await self._client.aclose()

    async def _set(self, script: AsyncScript, token_id: str, field: str, value: float) -> None:
        with translated("token", "update"):
            token_hash = await self._client.get(self._id_key(token_id))
            if token_hash is not None:
                key = self._record_key(text(token_hash))
                await script(keys=[key], args=[field, repr(value)])

    def _record_key(self, token_hash: str) -> str:
        return f"{self._prefix}pat:{token_hash}"

    def _id_key(self, token_id: str) -> str:
        return f"{self._prefix}pat-id:{token_id}"

    def _owner_key(self, owner: str) -> str:
        return f"{self._prefix}pat-owner:{hashlib.sha256(owner.encode()).hexdigest()}"

    @property
    def _all_key(self) -> str:
        return f"{self._prefix}pat-all"


def _record(stored: Mapping[Any, Any]) -> TokenRecord | None:
    if not stored:
        return None
    try:
        return TokenRecord.from_fields({text(name): text(value) for name, value in stored.items()})
    except (KeyError, ValueError):
        # Treated as unknown: the token is refused (fails closed).
        logger.exception("ignoring a malformed personal token record")
        return None
