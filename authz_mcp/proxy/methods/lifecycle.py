"""initialize, ping, logging/setLevel: the gateway answers these itself."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from authz_mcp import __version__
from authz_mcp.auth.identity import Identity
from authz_mcp.errors import AuthzMcpError, InvalidParams
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import LATEST_LEGACY, LEGACY_VERSIONS
from authz_mcp.proxy.bridge import Bridge
from authz_mcp.proxy.context import Call
from authz_mcp.sessions import SessionRecord, SessionStore
from authz_mcp.upstream.base import Upstream, is_shared

logger = logging.getLogger(__name__)

CreateSession = Callable[[Identity, str, JSONObject, JSONObject], Awaitable[SessionRecord]]
"""Open a session for (identity, protocol version, client info, capabilities) (`Gateway.create_session`)."""

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


def negotiate_version(requested: object, supported: tuple[str, ...] = LEGACY_VERSIONS) -> str:
    """Spec basic/lifecycle: if the server supports the requested version it MUST
    respond with the same version, otherwise with another version it supports."""
    return requested if isinstance(requested, str) and requested in supported else LATEST_LEGACY


def merged_capabilities(upstreams: Mapping[str, Upstream]) -> JSONObject:
    upstream_caps = [
        (upstream.initialize_result or {}).get("capabilities") or {} for upstream in upstreams.values()
    ]
    # Configured upstreams may be down now and come back later: advertise from config
    # what any of them may offer, list_changed included, so clients re-list.
    capabilities: JSONObject = {
        "tools": {"listChanged": True},
        "prompts": {"listChanged": True},
        "resources": {"listChanged": True, "subscribe": True},
        "logging": {},
    }
    if any("completions" in caps for caps in upstream_caps) or not upstream_caps:
        capabilities["completions"] = {}
    return capabilities


def merged_instructions(upstreams: Mapping[str, Upstream]) -> str | None:
    parts = []
    for name, upstream in upstreams.items():
        text = (upstream.initialize_result or {}).get("instructions")
        if isinstance(text, str) and text.strip():
            parts.append(f"[{name}] {text.strip()}")
    return "\n\n".join(parts) or None


def require_dict(params: JSONObject, key: str) -> JSONObject:
    value = params.get(key, {})
    if not isinstance(value, dict):
        raise InvalidParams(f"{key} must be an object")
    return value


class Lifecycle:
    def __init__(
        self,
        upstreams: Mapping[str, Upstream],
        create_session: CreateSession,
        store: SessionStore,
        bridge: Bridge,
    ) -> None:
        self._upstreams = upstreams
        self._create_session = create_session
        self._store = store
        self._bridge = bridge

    async def initialize(self, call: Call) -> JSONObject:
        params = call.params
        version = params.get("protocolVersion")
        if not isinstance(version, str):
            raise InvalidParams("protocolVersion must be a string")
        capabilities = require_dict(params, "capabilities")
        client_info = require_dict(params, "clientInfo")
        negotiated = negotiate_version(version, call.versions or LEGACY_VERSIONS)
        call.session = await self._create_session(call.identity, negotiated, client_info, capabilities)
        result: JSONObject = {
            "protocolVersion": negotiated,
            "capabilities": merged_capabilities(self._upstreams),
            "serverInfo": {"name": "authz-mcp", "version": __version__},
        }
        instructions = merged_instructions(self._upstreams)
        if instructions:
            result["instructions"] = instructions
        return result

    async def ping(self, call: Call) -> JSONObject:
        return {}

    async def set_level(self, call: Call) -> JSONObject:
        level = call.params.get("level")
        if level not in LOG_LEVELS:
            raise InvalidParams("level must be a syslog level name")
        session = call.session
        assert session is not None
        await self._store.set_log_level(session.session_id, level)
        # Only per-session upstream connections hear it: on a shared one the level would
        # change what every other user receives. And only upstreams that declared `logging`
        # ("Servers that emit log message notifications MUST declare the logging
        # capability"); the others send none, and need not know the method.
        for name, upstream in self._upstreams.items():
            handle = session.upstream_sessions.get(name)
            offered = (upstream.initialize_result or {}).get("capabilities") or {}
            if handle is None or is_shared(handle) or "logging" not in offered:
                continue
            try:
                await self._bridge.forward(call, name, "logging/setLevel", {"level": level})
            except AuthzMcpError as exc:  # the gateway holds the level either way
                logger.info("upstream %s: logging/setLevel not accepted (%r)", name, exc)
        return {}
