"""Which era an upstream speaks, and the per-request envelope of the modern one.

2026-07-28 basic/versioning: "A client that needs to interoperate with both kinds of
servers detects the server's era": probe with `server/discover` and fall back to
`initialize` on anything that is not positive evidence of a modern server. The
config may pin the era instead (`protocol: legacy | modern`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcp_types import (
    CLIENT_CAPABILITIES_META_KEY,
    CLIENT_INFO_META_KEY,
    LOG_LEVEL_META_KEY,
    PROTOCOL_VERSION_META_KEY,
    SERVER_INFO_META_KEY,
)

from authz_mcp import __version__
from authz_mcp.errors import UpstreamFailed, UpstreamRejected, UpstreamRpcError, UpstreamTimeout
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import MODERN_VERSION, MODERN_VERSIONS

logger = logging.getLogger(__name__)

RESERVED_META_PREFIX = "io.modelcontextprotocol/"
GATEWAY_INFO: JSONObject = {"name": "authz-mcp", "version": __version__}
PROBE_TIMEOUT = 5.0
# Keys of a request's params that belong to one MRTR exchange (2026-07-28 basic/patterns/mrtr).
MRTR_PARAMS = ("inputResponses", "requestState")

Send = Callable[[str, JSONObject], Awaitable[JSONObject]]
"""Sends one request (method, params) during the handshake and returns its result."""


def envelope(capabilities: JSONObject, log_level: str | None = None) -> JSONObject:
    """The `_meta` keys every modern request carries (2026-07-28 basic/index "_meta")."""
    meta: JSONObject = {
        PROTOCOL_VERSION_META_KEY: MODERN_VERSION,
        CLIENT_INFO_META_KEY: GATEWAY_INFO,
        CLIENT_CAPABILITIES_META_KEY: capabilities,
    }
    if log_level is not None:
        meta[LOG_LEVEL_META_KEY] = log_level
    return meta


def stamped(params: JSONObject | None, capabilities: JSONObject, log_level: str | None = None) -> JSONObject:
    """`params` with the gateway's envelope in its `_meta` (a progress token stays)."""
    meta = without_reserved((params or {}).get("_meta"))
    return {**(params or {}), "_meta": {**meta, **envelope(capabilities, log_level)}}


def unstamped(params: JSONObject | None) -> JSONObject | None:
    """`params` without the reserved `_meta` keys, for a legacy upstream: a handshake-era
    connection refuses requests that carry the modern envelope."""
    if not params or not isinstance(params.get("_meta"), dict):
        return params
    meta = without_reserved(params["_meta"])
    rest = {key: value for key, value in params.items() if key != "_meta"}
    return {**rest, "_meta": meta} if meta else rest


def without_reserved(meta: Any) -> JSONObject:
    """A `_meta` object without the keys MCP reserves for the protocol itself."""
    if not isinstance(meta, dict):
        return {}
    return {key: value for key, value in meta.items() if not key.startswith(RESERVED_META_PREFIX)}


async def probe(send: Send, pin: str, capabilities: JSONObject) -> JSONObject | None:
    """The upstream's DiscoverResult, shaped like an InitializeResult, when it speaks the
    modern era; None when the caller should fall back to `initialize`.

    Only positive evidence makes an upstream modern: a DiscoverResult naming a modern
    version. With `pin == "modern"` anything else is an error; with "legacy" nothing is sent.
    """
    if pin == "legacy":
        return None
    try:
        result = await send("server/discover", {"_meta": envelope(capabilities)})
    except (UpstreamRpcError, UpstreamRejected, UpstreamTimeout) as exc:
        # A legacy server answers an unknown method, a 4xx, or nothing at all.
        if pin == "modern":
            logger.warning("upstream pinned to the modern era refused server/discover: %r", exc)
            raise UpstreamFailed() from exc
        return None
    versions = result.get("supportedVersions")
    if isinstance(versions, list) and any(version in MODERN_VERSIONS for version in versions):
        return _as_initialize_result(result)
    if pin == "modern":
        logger.warning("upstream pinned to the modern era supports only %r", versions)
        raise UpstreamFailed()
    return None


def _as_initialize_result(discovered: JSONObject) -> JSONObject:
    meta = discovered.get("_meta")
    server_info = meta.get(SERVER_INFO_META_KEY) if isinstance(meta, dict) else None
    capabilities = discovered.get("capabilities")
    shaped: JSONObject = {
        "protocolVersion": MODERN_VERSION,
        "capabilities": capabilities if isinstance(capabilities, dict) else {},
        "serverInfo": server_info if isinstance(server_info, dict) else {},
    }
    if isinstance(discovered.get("instructions"), str):
        shaped["instructions"] = discovered["instructions"]
    return shaped
