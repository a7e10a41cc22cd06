"""What both sides of the gateway share about MCP itself: the revisions served, the HTTP
headers that carry them, how a modern request's envelope is recognised, and the typed parse
of what a client sends (`parse_incoming`), past which no layer reads a message as `Any`.

The HTTP layer reads clients' messages with these; the proxy and the upstream transports
write theirs with the same, so a revision is named in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp_types import PROTOCOL_VERSION_META_KEY
from mcp_types.version import LATEST_MODERN_VERSION, MODERN_PROTOCOL_VERSIONS

from authz_mcp.errors import InvalidRequest
from authz_mcp.jsonrpc import JSONObject, RequestId

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


@dataclass(frozen=True, slots=True)
class Request:
    """A client's request: `method` with its `params` (an empty object when it sent none)."""

    id: RequestId
    method: str
    params: JSONObject


@dataclass(frozen=True, slots=True)
class Notification:
    method: str
    params: JSONObject


@dataclass(frozen=True, slots=True)
class Response:
    """A client's answer to a request the gateway relayed to it, passed on as it came."""

    id: RequestId
    message: JSONObject


Incoming = Request | Notification | Response


def parse_incoming(message: Any) -> Incoming:
    """One decoded JSON-RPC 2.0 message from a client; `InvalidRequest` (-32600) for anything
    else: a batch, a non-object, a wrong version, an id that is not a string or an integer,
    an empty or non-string method, params that are not an object, or a response without
    exactly one of result and error."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise InvalidRequest("Expected a JSON-RPC 2.0 object")
    request_id = message.get("id")
    if "id" in message and not (isinstance(request_id, str | int) and not isinstance(request_id, bool)):
        raise InvalidRequest("id must be a string or an integer")
    if "method" in message:
        method = message["method"]
        if not isinstance(method, str) or not method:
            raise InvalidRequest("method must be a non-empty string")
        params = message.get("params", {})
        if not isinstance(params, dict):
            raise InvalidRequest("params must be an object")
        if request_id is None:
            return Notification(method, params)
        return Request(request_id, method, params)
    if request_id is not None and (("result" in message) != ("error" in message)):
        return Response(request_id, message)
    raise InvalidRequest("Not a request, notification or response")
