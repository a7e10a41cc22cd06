"""Required scopes with a real provider: its token without the scope gets 403 and the
insufficient_scope challenge; with it, the request goes through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc.conftest import oidc_gateway_config
from tests.oidc.provider import RunningProvider
from tests.support.gateway import GatewayProcess, running_gateway
from tests.support.issuer import running_issuer
from tests.tokens.wire import initialize


@pytest.fixture(scope="module")
def scoped_gateway(
    provider: RunningProvider, gateway_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    tmp_path = tmp_path_factory.mktemp("oidc-scoped")
    with running_issuer() as other:
        config = oidc_gateway_config(tmp_path, gateway_port, provider, other, required_scopes=["mcp:tools"])
        with running_gateway(config, tmp_path) as gateway:
            yield gateway


def test_provider_token_without_the_required_scope_gets_the_challenge(
    provider: RunningProvider, scoped_gateway: GatewayProcess
) -> None:
    without = initialize(
        scoped_gateway.url, provider.token("bob", resource=scoped_gateway.url, scope="mcp:admin")
    )
    with_scope = initialize(
        scoped_gateway.url, provider.token("bob", resource=scoped_gateway.url, scope="mcp:tools")
    )

    assert without.status_code == 403
    challenge = without.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="mcp:tools"' in challenge
    assert (
        f'resource_metadata="{scoped_gateway.base_url}/.well-known/oauth-protected-resource/mcp"' in challenge
    )
    assert with_scope.status_code == 200
