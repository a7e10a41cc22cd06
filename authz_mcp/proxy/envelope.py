"""What a modern (2026-07-28) request says about its client, in `params._meta`.

2026-07-28 basic/index "Statelessness": "Servers MUST NOT rely on prior requests
over the same connection to establish context (e.g., capabilities, protocol
version, client identity). Every request supplies this metadata in its `_meta`
field." The HTTP layer validates the envelope; the proxy reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_types import (
    CLIENT_CAPABILITIES_META_KEY,
    CLIENT_INFO_META_KEY,
    LOG_LEVEL_META_KEY,
    PROTOCOL_VERSION_META_KEY,
)

from authz_mcp.jsonrpc import JSONObject

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")
RELAYED_CAPABILITIES = ("sampling", "elicitation", "roots")
"""The client features an upstream may ask for through the gateway."""


@dataclass(frozen=True, slots=True)
class Envelope:
    protocol_version: str
    capabilities: JSONObject
    client_info: JSONObject | None = None
    log_level: str | None = None
    """The level the request opted in to log messages at; None: no log messages."""

    @classmethod
    def from_meta(cls, meta: JSONObject) -> Envelope:
        """The envelope of a `_meta` whose required keys the caller has checked."""
        capabilities = meta[CLIENT_CAPABILITIES_META_KEY]
        client_info = meta.get(CLIENT_INFO_META_KEY)
        level = meta.get(LOG_LEVEL_META_KEY)
        return cls(
            protocol_version=str(meta[PROTOCOL_VERSION_META_KEY]),
            capabilities=capabilities if isinstance(capabilities, dict) else {},
            client_info=client_info if isinstance(client_info, dict) else None,
            log_level=level if level in LOG_LEVELS else None,
        )


def relayable(capabilities: JSONObject) -> JSONObject:
    """The part of a client's capabilities an upstream may use through the gateway."""
    return {name: value for name in RELAYED_CAPABILITIES if isinstance(value := capabilities.get(name), dict)}


def log_wanted(threshold: str | None, message: JSONObject) -> bool:
    """Whether a `notifications/message` is at or above the opted-in level."""
    if threshold is None:
        return False
    params = message.get("params")
    level = params.get("level") if isinstance(params, dict) else None
    return level in LOG_LEVELS and LOG_LEVELS.index(level) >= LOG_LEVELS.index(threshold)


def log_below(threshold: str | None, message: JSONObject) -> bool:
    """Whether a `notifications/message` is below a legacy session's `logging/setLevel`
    (None: it set none, and gets every level, as from an upstream directly)."""
    params = message.get("params")
    level = params.get("level") if isinstance(params, dict) else None
    if threshold not in LOG_LEVELS or level not in LOG_LEVELS:
        return False
    return LOG_LEVELS.index(level) < LOG_LEVELS.index(threshold)
