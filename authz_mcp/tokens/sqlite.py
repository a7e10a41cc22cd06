"""Personal tokens in a SQLite file (`sqlite:///path/state.db`): they and their revocations
survive restarts on one machine, with nothing to install.

The stdlib driver is synchronous, so each statement runs in a worker thread, one at a time on
the store's one connection. WAL mode lets `authz-mcp token` commands write while a gateway
reads; a revocation is committed before the command returns, and the gateway's next lookup
reads it (no caching). sqlite3 errors become StoreUnavailable here, at the one boundary.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from authz_mcp.errors import ConfigError, StoreUnavailable
from authz_mcp.tokens.record import RETENTION_SECONDS, TokenRecord

logger = logging.getLogger(__name__)

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS personal_tokens (
    id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, name TEXT NOT NULL,
    scopes TEXT, created_at REAL NOT NULL, expires_at REAL NOT NULL, created_by TEXT NOT NULL,
    last_used_at REAL, revoked_at REAL
);
CREATE INDEX IF NOT EXISTS personal_tokens_owner ON personal_tokens (owner);
"""
_INSERT = (
    "INSERT INTO personal_tokens (id, hash, owner, name, scopes, created_at, expires_at, created_by, "
    "last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT = (
    "SELECT id, hash, owner, name, scopes, created_at, expires_at, created_by, last_used_at, revoked_at "
    "FROM personal_tokens WHERE "
)
_VISIBLE = " AND expires_at > ? ORDER BY created_at, id"
_SELECT_BY_HASH = _SELECT + "hash = ?" + _VISIBLE
_SELECT_BY_ID = _SELECT + "id = ?" + _VISIBLE
_SELECT_BY_OWNER = _SELECT + "owner = ?" + _VISIBLE
_SELECT_ALL = _SELECT + "1 = 1" + _VISIBLE
_BUSY_TIMEOUT_SECONDS = 5.0


class SqliteTokenStore:
    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = anyio.Lock()
        try:
            if not os.path.exists(path):
                # Hashes only, but still nobody else's business.
                os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
            self._db = sqlite3.connect(
                path, timeout=_BUSY_TIMEOUT_SECONDS, check_same_thread=False, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"store.url: cannot open SQLite database {path}: {exc}") from exc

    async def add(self, record: TokenRecord) -> None:
        fields = record.to_fields()
        row = (
            record.token_id,
            record.token_hash,
            record.owner,
            record.name,
            fields.get("scopes"),
            record.created_at,
            record.expires_at,
            record.created_by,
            record.last_used_at,
            record.revoked_at,
        )
        await self._run("add", self._purge_then, _INSERT, row)

    async def find(self, token_hash: str) -> TokenRecord | None:
        rows = await self._rows("find", _SELECT_BY_HASH, token_hash)
        return rows[0] if rows else None

    async def get(self, token_id: str) -> TokenRecord | None:
        rows = await self._rows("get", _SELECT_BY_ID, token_id)
        return rows[0] if rows else None

    async def list_tokens(self, owner: str | None = None) -> list[TokenRecord]:
        if owner is None:
            return await self._rows("list", _SELECT_ALL)
        return await self._rows("list", _SELECT_BY_OWNER, owner)

    async def revoke(self, token_id: str, at: float) -> TokenRecord | None:
        statement = "UPDATE personal_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?"
        await self._run("revoke", self._execute, statement, (at, token_id))
        return await self.get(token_id)

    async def touch(self, token_id: str, at: float) -> None:
        statement = "UPDATE personal_tokens SET last_used_at = ? WHERE id = ?"
        await self._run("touch", self._execute, statement, (at, token_id))

    async def ping(self) -> None:
        await self._run("ping", self._execute, "SELECT 1", ())

    async def aclose(self) -> None:
        async with self._lock:
            self._db.close()

    async def _rows(self, operation: str, statement: str, *args: Any) -> list[TokenRecord]:
        # Records past their retention are invisible even before the next purge deletes them.
        visible_after = self._clock() - RETENTION_SECONDS
        rows = await self._run(operation, self._query, statement, (*args, visible_after))
        return [_record(row) for row in rows]

    async def _run(self, operation: str, function: Callable[..., T], *args: Any) -> T:
        async with self._lock:
            with _translated(operation):
                return await anyio.to_thread.run_sync(function, *args)

    def _execute(self, statement: str, args: tuple[Any, ...]) -> None:
        self._db.execute(statement, args)

    def _query(self, statement: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return self._db.execute(statement, args).fetchall()

    def _purge_then(self, statement: str, args: tuple[Any, ...]) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            cutoff = self._clock() - RETENTION_SECONDS
            self._db.execute("DELETE FROM personal_tokens WHERE expires_at < ?", (cutoff,))
            self._db.execute(statement, args)


_NAMES = (
    "id",
    "hash",
    "owner",
    "name",
    "scopes",
    "created_at",
    "expires_at",
    "created_by",
    "last_used_at",
    "revoked_at",
)


def _record(row: tuple[Any, ...]) -> TokenRecord:
    values = zip(_NAMES, row, strict=True)
    return TokenRecord.from_fields({name: str(value) for name, value in values if value is not None})


@contextmanager
def _translated(operation: str) -> Iterator[None]:
    """The one boundary where sqlite3 errors become StoreUnavailable (503)."""
    try:
        yield
    except sqlite3.Error as exc:
        logger.warning("token store %s failed: %s: %s", operation, type(exc).__name__, exc)
        raise StoreUnavailable() from exc
