"""RFC 9728 Protected Resource Metadata for the MCP endpoint."""

from __future__ import annotations

from typing import Any

from authz_mcp.auth.metadata import protected_resource_metadata
from authz_mcp.config.model import Config

IDP = "https://idp.example.com/realms/acme"


def config(auth: dict[str, Any]) -> Config:
    return Config.model_validate({"server": {"public_url": "http://127.0.0.1:8080"}, "auth": auth})


def test_metadata_names_the_canonical_mcp_url_and_authorization_servers() -> None:
    document = protected_resource_metadata(
        config({"authorization_servers": [IDP], "jwt": {"issuer": IDP, "jwks_url": f"{IDP}/certs"}})
    )

    assert document == {
        "resource": "http://127.0.0.1:8080/mcp",
        "authorization_servers": [IDP],
        "bearer_methods_supported": ["header"],
        "resource_name": "authz-mcp",
    }


def test_authorization_servers_fall_back_to_the_jwt_issuers() -> None:
    other = "https://login.example.org"
    document = protected_resource_metadata(config({"jwt": [{"issuer": IDP}, {"issuer": other}]}))

    assert document["authorization_servers"] == [IDP, other]


def test_scopes_supported_lists_the_required_scopes() -> None:
    document = protected_resource_metadata(config({"jwt": {"issuer": IDP}, "required_scopes": ["mcp"]}))

    assert document["scopes_supported"] == ["mcp"]


def test_no_scopes_supported_without_required_scopes() -> None:
    assert "scopes_supported" not in protected_resource_metadata(config({"jwt": {"issuer": IDP}}))


def test_personal_tokens_only_publishes_no_authorization_servers() -> None:
    document = protected_resource_metadata(config({"personal_tokens": True}))

    assert "authorization_servers" not in document
    assert document["resource"] == "http://127.0.0.1:8080/mcp"
