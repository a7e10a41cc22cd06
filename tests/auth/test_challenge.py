"""WWW-Authenticate challenges (RFC 6750 §3, RFC 9728 §5.1)."""

from __future__ import annotations

from authz_mcp.auth.challenge import resource_metadata_url, www_authenticate
from authz_mcp.config.model import Config
from authz_mcp.errors import AuthenticationError, InsufficientScope, InvalidToken

PRM = "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"


def test_challenge_without_token_has_only_resource_metadata() -> None:
    challenge = www_authenticate(AuthenticationError(token_given=False), PRM)

    assert challenge == f'Bearer resource_metadata="{PRM}"'


def test_challenge_for_a_rejected_token_says_invalid_token() -> None:
    challenge = www_authenticate(InvalidToken("expired"), PRM)

    assert challenge == f'Bearer resource_metadata="{PRM}", error="invalid_token"'


def test_challenge_never_carries_the_internal_detail() -> None:
    assert "expired" not in www_authenticate(InvalidToken("expired"), PRM)


def test_challenge_for_missing_scope_names_the_scopes() -> None:
    challenge = www_authenticate(InsufficientScope(), PRM, scopes=("mcp:read", "mcp:call"))

    assert (
        challenge
        == f'Bearer resource_metadata="{PRM}", error="insufficient_scope", scope="mcp:read mcp:call"'
    )


def test_challenge_for_missing_scope_without_scopes_omits_scope() -> None:
    challenge = www_authenticate(InsufficientScope(), PRM)

    assert challenge == f'Bearer resource_metadata="{PRM}", error="insufficient_scope"'


def test_challenge_values_are_quoted_strings() -> None:
    challenge = www_authenticate(AuthenticationError(), 'http://h/a"b\\c')

    assert challenge == 'Bearer resource_metadata="http://h/a\\"b\\\\c"'


def test_resource_metadata_url_uses_the_public_url() -> None:
    config = Config.model_validate({"server": {"public_url": "https://mcp.example.com/"}})

    assert resource_metadata_url(config) == "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"


def test_resource_metadata_url_defaults_to_host_and_port() -> None:
    config = Config.model_validate({"server": {"host": "127.0.0.1", "port": 8080}})

    assert resource_metadata_url(config) == PRM
