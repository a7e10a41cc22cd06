"""Downstream MCP sessions: the record, the store seam and its implementations (the Redis one
in `sessions.redis`, imported only when a Redis store is configured)."""

from authz_mcp.sessions.factory import open_session_store
from authz_mcp.sessions.memory import MemorySessionStore
from authz_mcp.sessions.record import (
    SessionRecord,
    is_principal_session_id,
    principal_session_id,
    session_key,
)
from authz_mcp.sessions.store import SessionStore

__all__ = [
    "MemorySessionStore",
    "SessionRecord",
    "SessionStore",
    "is_principal_session_id",
    "open_session_store",
    "principal_session_id",
    "session_key",
]
