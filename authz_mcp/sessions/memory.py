"""In-process session store: the embedded default (one process, nothing to install)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

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

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Entry:
    fields: dict[str, str]
    last_used: float


class MemorySessionStore:
    """Sessions in a dict ordered by last use, so the oldest-idle entry is always first.

    That order makes both bounds cheap: expired entries are swept from the
    front, and when `max_sessions` is reached the oldest-idle session is
    evicted. Records are held in their stored form (`SessionRecord.to_fields`),
    which leaves out the raw session id and gives callers copies, never the
    store's own objects.
    """

    def __init__(
        self,
        idle_seconds: int,
        max_sessions: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if idle_seconds <= 0 or max_sessions <= 0:
            raise ValueError("idle_seconds and max_sessions must be positive")
        self._idle_seconds = idle_seconds
        self._max_sessions = max_sessions
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._principals: set[str] = set()
        """The keys of `_entries` that hold per-principal records, so counts cost O(1)."""

    async def create(self, record: SessionRecord) -> None:
        key = session_key(record.session_id)
        self._drop(key)
        self._sweep()
        while len(self._entries) >= self._max_sessions:
            self._drop_oldest()
            logger.info("session store full (%d sessions): evicted the oldest idle one", self._max_sessions)
        self._entries[key] = _Entry(record.to_fields(), self._clock())
        if is_principal_session_id(record.session_id):
            self._principals.add(key)

    async def get_or_create(self, record: SessionRecord) -> SessionRecord:
        existing = await self.get(record.session_id)
        if existing is not None:
            return existing
        await self.create(record)
        return record

    async def get(self, session_id: str) -> SessionRecord | None:
        key = session_key(session_id)
        entry = self._touch(key)
        if entry is None:
            return None
        try:
            return SessionRecord.from_fields(session_id, entry.fields)
        except ValueError:
            # Only a bug could get here (records are written by to_fields); fail closed.
            logger.exception("dropping a malformed session record")
            self._drop(key)
            return None

    async def set_upstream_session(self, session_id: str, upstream: str, handle: str) -> None:
        self._fields(session_id)[UPSTREAM_FIELD + upstream] = handle

    async def set_log_level(self, session_id: str, level: str) -> None:
        self._fields(session_id)[LOG_LEVEL_FIELD] = level

    async def add_subscription(self, session_id: str, uri: str) -> None:
        self._fields(session_id)[SUBSCRIPTION_FIELD + uri] = "1"

    async def remove_subscription(self, session_id: str, uri: str) -> None:
        self._fields(session_id).pop(SUBSCRIPTION_FIELD + uri, None)

    async def delete(self, session_id: str) -> bool:
        key = session_key(session_id)
        alive = self._touch(key) is not None
        self._drop(key)
        return alive

    async def count_live(self) -> LiveSessions:
        self._sweep()
        principals = len(self._principals)
        return LiveSessions(sessions=len(self._entries) - principals, principals=principals)

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        self._entries.clear()
        self._principals.clear()

    def _fields(self, session_id: str) -> dict[str, str]:
        entry = self._touch(session_key(session_id))
        if entry is None:
            raise SessionNotFound()
        return entry.fields

    def _touch(self, key: str) -> _Entry | None:
        """The live entry under `key`, marked as just used; None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self._clock()
        if now - entry.last_used >= self._idle_seconds:
            self._drop(key)
            return None
        entry.last_used = now
        self._entries.move_to_end(key)
        return entry

    def _sweep(self) -> None:
        deadline = self._clock() - self._idle_seconds
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest.last_used > deadline:
                return
            self._drop_oldest()

    def _drop(self, key: str) -> None:
        self._entries.pop(key, None)
        self._principals.discard(key)

    def _drop_oldest(self) -> None:
        key, _ = self._entries.popitem(last=False)
        self._principals.discard(key)
