"""The session store seam (DESIGN §6): where the gateway keeps downstream MCP sessions.

Every implementation passes the one contract suite in tests/sessions. Shared
rules:

- Sessions expire after `idle_seconds` without use; `get` and every update
  count as use and restart the idle period. Nothing grows without bound.
- Records are keyed by `session_key(session_id)`, never by the raw id.
- Updates touch one part of a record each, so concurrent updates of different
  parts (two upstream handles, two subscriptions) are all kept.
- Updates of an unknown or expired session raise `SessionNotFound` rather than
  recreating a partial record.
- Any failure of the backing store raises `StoreUnavailable` (503): the caller
  fails closed and the store recovers by itself when the backend returns.
- The store can say how many records are live, for every replica that shares it,
  without scanning them all (`count_live`, read by `/metrics` at scrape time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from authz_mcp.sessions.record import SessionRecord


@dataclass(frozen=True, slots=True)
class LiveSessions:
    sessions: int
    """Sessions minted by `initialize` (legacy era) that have not expired or been deleted."""
    principals: int
    """Per-principal records of sessionless (2026-07-28) clients: users active within the
    idle period."""


class SessionStore(Protocol):
    async def create(self, record: SessionRecord) -> None:
        """Store a new session, replacing any record with the same id."""
        ...

    async def get_or_create(self, record: SessionRecord) -> SessionRecord:
        """The live session stored under `record.session_id`, else `record`, stored now.

        Atomic, so replicas racing to create one record all get the same one; restarts
        the idle period. Per-principal records (`principal_session_id`) are made this way.
        """
        ...

    async def get(self, session_id: str) -> SessionRecord | None:
        """The session, or None when unknown or expired; restarts its idle period.

        The store does not check `owner`: the caller compares it with the
        request's principal and answers a mismatch as it answers None (404).
        """
        ...

    async def set_upstream_session(self, session_id: str, upstream: str, handle: str) -> None: ...

    async def set_log_level(self, session_id: str, level: str) -> None: ...

    async def add_subscription(self, session_id: str, uri: str) -> None:
        """Idempotent: subscribing twice to one URI keeps one entry."""
        ...

    async def remove_subscription(self, session_id: str, uri: str) -> None:
        """Idempotent: removing an absent URI is not an error."""
        ...

    async def delete(self, session_id: str) -> bool:
        """True when a session was removed, False when there was none."""
        ...

    async def count_live(self) -> LiveSessions:
        """How many records are live now. Its cost grows with the records that are live or
        expired since the last count, never with the rest of the store's keys."""
        ...

    async def ping(self) -> None:
        """Return when the store is usable; raise StoreUnavailable otherwise (/readyz)."""
        ...

    async def aclose(self) -> None: ...
