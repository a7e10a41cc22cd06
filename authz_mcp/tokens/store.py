"""The token store seam (DESIGN §6): where personal access tokens and revocations live.

Every implementation passes the one contract suite in tests/tokens. Shared rules:

- A record is found by the token's hash (`find`, on every request that presents a token) or
  by its id (`get`, `revoke`). The token itself is never given to a store.
- Nothing is cached: a revocation through any process sharing the store is seen by the very
  next `find`, on every replica.
- A record is kept until `purge_at` (expiry plus a retention period), then dropped.
- `revoke` and `touch` of an unknown record change nothing (and create nothing).
- Any failure of the backing store raises `StoreUnavailable` (503): the caller fails closed.
"""

from __future__ import annotations

from typing import Protocol

from authz_mcp.tokens.record import TokenRecord


class TokenStore(Protocol):
    async def add(self, record: TokenRecord) -> None:
        """Store a new record (ids and hashes are unique by construction)."""
        ...

    async def find(self, token_hash: str) -> TokenRecord | None:
        """The record of the token with this hash, or None."""
        ...

    async def get(self, token_id: str) -> TokenRecord | None: ...

    async def list_tokens(self, owner: str | None = None) -> list[TokenRecord]:
        """The records of `owner` (everyone's when None), oldest first."""
        ...

    async def revoke(self, token_id: str, at: float) -> TokenRecord | None:
        """Mark the token revoked (idempotent: the first time stays); None when unknown."""
        ...

    async def touch(self, token_id: str, at: float) -> None:
        """Record a use of the token."""
        ...

    async def ping(self) -> None:
        """Return when the store is usable; raise StoreUnavailable otherwise."""
        ...

    async def aclose(self) -> None: ...
