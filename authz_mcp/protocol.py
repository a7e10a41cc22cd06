"""What both sides of the gateway share about MCP itself: the revisions served, the HTTP
headers that carry them, and how a modern request's envelope is recognised.

The HTTP layer reads clients' messages with these; the proxy and the upstream transports
write theirs with the same, so a revision is named in one place.
"""

from __future__ import annotations

from mcp_types import PROTOCOL_VERSION_META_KEY
from mcp_types.version import LATEST_MODERN_VERSION, MODERN_PROTOCOL_VERSIONS

from authz_mcp.jsonrpc import JSONObject

LEGACY_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26")
"""The `initialize` revisions (2025-11-25 era) served to clients, newest first."""
LATEST_LEGACY = LEGACY_VERSIONS[0]
OLDEST_HANDSHAKE = "2024-11-05"
"""Spoken by HTTP+SSE and WebSocket clients and by older upstreams, never on Streamable HTTP."""
HANDSHAKE_VERSIONS = frozenset({*LEGACY_VERSIONS, OLDEST_HANDSHAKE})
"""What an upstream's `initialize` may answer with."""

MODERN_VERSION = LATEST_MODERN_VERSION
"""The per-request-envelope revision (2026-07-28) the gateway speaks to modern upstreams."""
MODERN_VERSIONS = MODERN_PROTOCOL_VERSIONS
"""The modern revisions served to clients."""

# Streamable HTTP header names, lower-case as ASGI delivers them.
SESSION_HEADER = b"mcp-session-id"
VERSION_HEADER = b"mcp-protocol-version"
METHOD_HEADER = "mcp-method"
NAME_HEADER = "mcp-name"


def has_envelope(params: JSONObject | None) -> bool:
    """Whether a request carries the modern era's `_meta` envelope (2026-07-28 basic/index)."""
    meta = (params or {}).get("_meta")
    return isinstance(meta, dict) and PROTOCOL_VERSION_META_KEY in meta
