"""OAuth 2.0 Protected Resource Metadata (RFC 9728) for the gateway's MCP endpoint."""

from __future__ import annotations

from typing import Any

from authz_mcp.config.model import Config

RESOURCE_NAME = "authz-mcp"


def protected_resource_metadata(config: Config) -> dict[str, Any]:
    # RFC 9728 §3.3: "The value of the "resource" member MUST be identical to the protected
    # resource's resource identifier value into which the well-known URI path suffix was
    # inserted": the canonical MCP URL, as the MCP authorization spec requires.
    document: dict[str, Any] = {"resource": config.server.mcp_url}
    servers = config.auth.authorization_servers or tuple(jwt.issuer for jwt in config.auth.jwt)
    if servers:
        document["authorization_servers"] = list(dict.fromkeys(servers))
    document["bearer_methods_supported"] = ["header"]
    if config.auth.required_scopes:
        document["scopes_supported"] = list(config.auth.required_scopes)
    document["resource_name"] = RESOURCE_NAME
    return document
