"""A real OIDC provider end to end: the gateway, configured with the issuer URL alone,
discovers the provider's keys, accepts its tokens for the gateway's resource (RFC 8707
audience), refuses its tokens for another resource, and follows its key rotation."""

from __future__ import annotations

import time

import pytest

from authz_mcp.auth.devissuer import DevIssuer
from tests.oidc.conftest import OTHER_RESOURCE, OidcSetup
from tests.support.clients import mcp_client
from tests.support.gateway import wait_until
from tests.tokens.wire import initialize

ROTATION_TIMEOUT = 15.0


async def visible(oidc: OidcSetup, token: str) -> tuple[set[str], set[str]]:
    async with mcp_client(oidc.gateway.url, token) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        resources = {str(resource.uri) for resource in (await client.list_resources()).resources}
    return tools, resources


async def test_token_for_the_gateway_is_accepted_through_discovery(oidc: OidcSetup) -> None:
    token = oidc.provider.token("alice", resource=oidc.gateway.url, scope="mcp:tools")

    tools, _ = await visible(oidc, token)

    assert "demo__delete_record" in tools  # alice is an admin in policies/policy.csv


async def test_groups_come_from_the_nested_roles_claim(oidc: OidcSetup) -> None:
    # carol's token carries realm_access.roles = ["finance"]: group:finance -> role:finance.
    token = oidc.provider.token("carol", resource=oidc.gateway.url)

    tools, resources = await visible(oidc, token)

    assert tools == set()
    assert resources == {"demo://finance/payroll"}


@pytest.mark.parametrize("resource", [OTHER_RESOURCE, None], ids=["other-audience", "opaque-no-resource"])
def test_token_for_another_resource_is_refused(oidc: OidcSetup, resource: str | None) -> None:
    token = oidc.provider.token("alice", resource=resource)

    response = initialize(oidc.gateway.url, token)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_tokens_of_a_second_configured_issuer_are_accepted_too(oidc: OidcSetup) -> None:
    token = oidc.other_issuer.issuer.mint("bob", audience=oidc.gateway.url)

    assert initialize(oidc.gateway.url, token).status_code == 200


def test_rotated_signing_key_is_picked_up_with_one_refetch(oidc: OidcSetup) -> None:
    url = oidc.gateway.url
    assert initialize(url, oidc.provider.token("bob", resource=url)).status_code == 200
    fetches = oidc.provider.jwks_requests

    oidc.provider.rotate()
    rotated = oidc.provider.token("bob", resource=url)
    statuses: list[int] = []

    # Refetches for an unknown kid are rate-limited (jwks_refetch_seconds: 1), so the new key
    # is accepted within about a second; however often the token is tried meanwhile, the
    # provider is asked once.
    def accepted() -> bool:
        statuses.append(initialize(url, rotated).status_code)
        return statuses[-1] == 200

    wait_until(accepted, ROTATION_TIMEOUT, "the rotated key to be accepted")
    assert set(statuses[:-1]) <= {401}
    assert oidc.provider.jwks_requests == fetches + 1


def test_flood_of_unknown_kids_cannot_hammer_the_provider(oidc: OidcSetup) -> None:
    url = oidc.gateway.url
    forger = DevIssuer.generate(oidc.provider.issuer)
    fetches = oidc.provider.jwks_requests
    started = time.monotonic()

    statuses = {
        initialize(url, forger.mint("alice", audience=url, kid=f"junk-{n}")).status_code for n in range(40)
    }

    elapsed = time.monotonic() - started
    assert statuses == {401}
    # At most one key set fetch per jwks_refetch_seconds (1 s), whatever the number of tokens.
    assert oidc.provider.jwks_requests - fetches <= 1 + int(elapsed)
