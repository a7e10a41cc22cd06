"""Required OAuth scopes: an identity provider's token without them gets 403 and an RFC 6750
insufficient_scope challenge; the scopes are published in the resource metadata."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.gateway import free_port, running_gateway
from tests.support.issuer import RunningIssuer
from tests.tokens.conftest import PatGateway, pat_gateway_config
from tests.tokens.wire import api, error_code, initialize

REQUIRED = ["mcp:tools", "mcp:read"]


@pytest.fixture(scope="module")
def scoped_gateway(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PatGateway]:
    tmp_path = tmp_path_factory.mktemp("scoped-gateway")
    port = free_port()
    config = pat_gateway_config(tmp_path, issuer, port)
    config["auth"]["required_scopes"] = REQUIRED
    with running_gateway(config, tmp_path) as process:
        yield PatGateway(process, tmp_path / f"gateway-{port}.yaml", issuer)


def challenge(gateway: PatGateway) -> str:
    metadata = f"{gateway.process.base_url}/.well-known/oauth-protected-resource/mcp"
    return f'Bearer resource_metadata="{metadata}", error="insufficient_scope", scope="mcp:tools mcp:read"'


@pytest.mark.parametrize(
    "claims",
    [{}, {"scope": "mcp:tools"}, {"scope": "openid profile"}, {"scp": ["mcp:read"]}],
    ids=["none", "one-of-two", "others", "scp-list-one"],
)
def test_token_without_the_required_scopes_gets_403_insufficient_scope(
    scoped_gateway: PatGateway, claims: dict[str, object]
) -> None:
    response = initialize(scoped_gateway.url, scoped_gateway.jwt("bob", extra_claims=claims))

    assert response.status_code == 403
    assert response.headers["www-authenticate"] == challenge(scoped_gateway)
    assert response.json()["error"]["data"] == {"oauth_error": "insufficient_scope"}


@pytest.mark.parametrize(
    "claims",
    [
        {"scope": "openid mcp:read mcp:tools"},
        {"scp": ["mcp:tools", "mcp:read"]},
        {"scp": "mcp:tools mcp:read"},
    ],
    ids=["scope", "scp-list", "scp-string"],
)
def test_token_with_the_required_scopes_is_accepted(
    scoped_gateway: PatGateway, claims: dict[str, object]
) -> None:
    assert initialize(scoped_gateway.url, scoped_gateway.jwt("bob", extra_claims=claims)).status_code == 200


def test_required_scopes_are_published_in_the_resource_metadata(scoped_gateway: PatGateway) -> None:
    url = f"{scoped_gateway.process.base_url}/.well-known/oauth-protected-resource/mcp"

    assert httpx.get(url, timeout=20).json()["scopes_supported"] == REQUIRED


def test_token_api_requires_the_scopes_too_and_personal_tokens_are_narrowed_instead(
    scoped_gateway: PatGateway,
) -> None:
    unscoped = api("POST", scoped_gateway.api, scoped_gateway.jwt("bob"), {})
    scoped = scoped_gateway.jwt("bob", extra_claims={"scope": "mcp:tools mcp:read"})
    created = api("POST", scoped_gateway.api, scoped, {"scopes": ["demo/tools/echo"]})

    assert (unscoped.status_code, error_code(unscoped)) == (403, "insufficient_scope")
    assert unscoped.headers["www-authenticate"] == challenge(scoped_gateway)
    assert created.status_code == 201
    # A personal token is not an OAuth access token: its own scopes narrow it.
    assert initialize(scoped_gateway.url, created.json()["token"]).status_code == 200
