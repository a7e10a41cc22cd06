"""initialize, ping, logging/setLevel: the gateway answers these itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authz_mcp import __version__
from authz_mcp.errors import InvalidParams
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import LATEST_LEGACY, LEGACY_VERSIONS
from authz_mcp.proxy.context import Call
from authz_mcp.upstream.base import is_shared

if TYPE_CHECKING:
    from authz_mcp.proxy.gateway import Gateway

LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


def negotiate_version(requested: object, supported: tuple[str, ...] = LEGACY_VERSIONS) -> str:
    """Spec basic/lifecycle: if the server supports the requested version it MUST
    respond with the same version, otherwise with another version it supports."""
    return requested if isinstance(requested, str) and requested in supported else LATEST_LEGACY


def merged_capabilities(gateway: Gateway) -> JSONObject:
    upstream_caps = [
        (upstream.initialize_result or {}).get("capabilities") or {}
        for upstream in gateway.upstreams.values()
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


def merged_instructions(gateway: Gateway) -> str | None:
    parts = []
    for name, upstream in gateway.upstreams.items():
        text = (upstream.initialize_result or {}).get("instructions")
        if isinstance(text, str) and text.strip():
            parts.append(f"[{name}] {text.strip()}")
    return "\n\n".join(parts) or None


def require_dict(params: JSONObject, key: str) -> JSONObject:
    value = params.get(key, {})
    if not isinstance(value, dict):
        raise InvalidParams(f"{key} must be an object")
    return value


async def initialize(gateway: Gateway, call: Call) -> JSONObject:
    params = call.params
    version = params.get("protocolVersion")
    if not isinstance(version, str):
        raise InvalidParams("protocolVersion must be a string")
    capabilities = require_dict(params, "capabilities")
    client_info = require_dict(params, "clientInfo")
    negotiated = negotiate_version(version, call.versions or LEGACY_VERSIONS)
    call.session = await gateway.create_session(call.identity, negotiated, client_info, capabilities)
    result: JSONObject = {
        "protocolVersion": negotiated,
        "capabilities": merged_capabilities(gateway),
        "serverInfo": {"name": "authz-mcp", "version": __version__},
    }
    instructions = merged_instructions(gateway)
    if instructions:
        result["instructions"] = instructions
    return result


async def ping(gateway: Gateway, call: Call) -> JSONObject:
    return {}


async def set_level(gateway: Gateway, call: Call) -> JSONObject:
    level = call.params.get("level")
    if level not in LOG_LEVELS:
        raise InvalidParams("level must be a syslog level name")
    session = call.session
    assert session is not None
    await gateway.store.set_log_level(session.session_id, level)
    # Only per-session upstream connections hear it: on a shared one the level would
    # change what every other user receives.
    for name in gateway.upstreams:
        handle = session.upstream_sessions.get(name)
        if handle is not None and not is_shared(handle):
            await gateway.bridge.forward(call, name, "logging/setLevel", {"level": level})
    return {}
