"""Personal tokens in this process: the `memory://` default. Gone when the process stops."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from authz_mcp.tokens.record import TokenRecord


class MemoryTokenStore:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._by_id: dict[str, TokenRecord] = {}
        self._ids_by_hash: dict[str, str] = {}

    async def add(self, record: TokenRecord) -> None:
        self._purge()
        self._by_id[record.token_id] = record
        self._ids_by_hash[record.token_hash] = record.token_id

    async def find(self, token_hash: str) -> TokenRecord | None:
        token_id = self._ids_by_hash.get(token_hash)
        return None if token_id is None else await self.get(token_id)

    async def get(self, token_id: str) -> TokenRecord | None:
        record = self._by_id.get(token_id)
        if record is None or self._clock() >= record.purge_at:
            return None
        return record

    async def list_tokens(self, owner: str | None = None) -> list[TokenRecord]:
        self._purge()
        records = [r for r in self._by_id.values() if owner is None or r.owner == owner]
        return sorted(records, key=lambda r: (r.created_at, r.token_id))

    async def revoke(self, token_id: str, at: float) -> TokenRecord | None:
        record = await self.get(token_id)
        if record is None:
            return None
        self._by_id[token_id] = record = record.revoked(at)
        return record

    async def touch(self, token_id: str, at: float) -> None:
        record = await self.get(token_id)
        if record is not None:
            self._by_id[token_id] = replace(record, last_used_at=at)

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def _purge(self) -> None:
        now = self._clock()
        for record in [r for r in self._by_id.values() if now >= r.purge_at]:
            del self._by_id[record.token_id]
            self._ids_by_hash.pop(record.token_hash, None)
