"""The 2026-07-28 request checks: `_meta` envelope, headers against body, version.

In the order the SDK's server applies them (and the spec's error table): a
routing header sent twice, then a missing envelope (400, -32602), then any
header that disagrees with the body (400, -32020; `Mcp-Name` and
`Mcp-Param-*` values decoded from their base64 form first), then a version the
gateway does not serve (400, -32022, naming those it does).
"""

from __future__ import annotations

from typing import Any

from mcp.shared.inbound import NAME_BEARING_METHODS, decode_header_value, validate_mcp_param_headers
from mcp_types import CLIENT_CAPABILITIES_META_KEY, PROTOCOL_VERSION_META_KEY

from authz_mcp.errors import HeaderMismatch, MissingRequestMeta, UnsupportedModernVersion
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.protocol import METHOD_HEADER, MODERN_VERSIONS, NAME_HEADER, VERSION_HEADER
from authz_mcp.proxy.envelope import Envelope

_ROUTING_HEADERS = (VERSION_HEADER.decode(), METHOD_HEADER, NAME_HEADER)
"""What the UnsupportedProtocolVersionError names (basic/versioning: `data.supported`, the
`requested` one echoed): the versions a request may carry in `_meta`, the very list
`server/discover` gives as `supportedVersions`, so a client retrying with one of them is
served. The legacy versions are reached through `initialize`, not by a retry."""

Headers = dict[str, list[str]]
"""Every request header by lower-case name, with all of its values, trimmed (http/modern.py)."""


def check_version(version: str) -> None:
    """2026-07-28 transports: "If the server does not implement the requested protocol
    version ... it MUST respond with 400 Bad Request and an UnsupportedProtocolVersionError
    listing its supported versions."""
    if version not in MODERN_VERSIONS:
        data = {"supported": list(MODERN_VERSIONS), "requested": version}
        raise UnsupportedModernVersion(data=data)


def validated_envelope(headers: Headers, method: str, params: JSONObject) -> Envelope:
    for name in _ROUTING_HEADERS:
        if len(headers.get(name, ())) > 1:
            # First-copy and last-copy readers would disagree about the request.
            raise HeaderMismatch(f"{name} header appears more than once")
    meta = params.get("_meta")
    if not isinstance(meta, dict) or PROTOCOL_VERSION_META_KEY not in meta:
        raise MissingRequestMeta()
    if not isinstance(meta.get(CLIENT_CAPABILITIES_META_KEY), dict):
        raise MissingRequestMeta()
    version = meta[PROTOCOL_VERSION_META_KEY]
    # "The header value MUST match the io.modelcontextprotocol/protocolVersion field"; a
    # missing required header is a mismatch too ("Validation failure conditions include").
    if _one(headers, VERSION_HEADER.decode()) != version:
        raise HeaderMismatch("MCP-Protocol-Version header does not match params._meta")
    if _one(headers, METHOD_HEADER) != method:
        raise HeaderMismatch("Mcp-Method header does not match the method")
    name_key = NAME_BEARING_METHODS.get(method)
    body_name = params.get(name_key) if name_key is not None else None
    # "servers MUST decode an encoded Mcp-Name ... value before comparing it".
    if body_name is not None and decode_header_value(_one(headers, NAME_HEADER)) != body_name:
        raise HeaderMismatch(f"Mcp-Name header does not match params.{name_key}")
    check_version(version)
    return Envelope.from_meta(meta)


def param_header_mismatch(schema: Any, arguments: JSONObject, headers: Headers) -> HeaderMismatch | None:
    """2026-07-28: "Any server that processes the message body MUST validate that encoded
    header values, after decoding if Base64-encoded, match the corresponding values"."""
    flat = {name: values[-1] for name, values in headers.items()}
    for name, values in headers.items():
        if name.startswith("mcp-param-") and len(values) > 1:
            return HeaderMismatch(f"{name} header appears more than once")
    rejection = validate_mcp_param_headers(schema, arguments, flat)
    return HeaderMismatch(rejection.message) if rejection is not None else None


def _one(headers: Headers, name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None
