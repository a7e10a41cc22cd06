"""A real OpenID Connect provider (node-oidc-provider, installed by `npm ci --prefix tests/oidc`)
and a gateway that knows nothing of it but its issuer URL.

Without node the tests are skipped with that reason, except in CI (CI=true), where they fail:
CI must never pass by silently not running them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.oidc.provider import RunningProvider, node_modules_missing, running_provider
from tests.support.gateway import GatewayProcess, free_port, gateway_config, running_gateway
from tests.support.issuer import RunningIssuer, running_issuer
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

OTHER_RESOURCE = "https://other.example/mcp"
# Client ids are the users: client credentials tokens name the client as their subject.
CLIENTS = {
    "alice": {},
    "bob": {"realm_access": {"roles": ["staff"]}},
    "carol": {"realm_access": {"roles": ["finance"]}},
}


def require_node() -> None:
    if shutil.which("node") is None:
        message = "node is not installed: the real OIDC provider tests need Node.js 20+"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required in CI)")
        pytest.skip(message)
    if node_modules_missing():
        pytest.fail(
            "the OIDC provider is not installed: run `npm ci --prefix tests/oidc` (scripts/test does)"
        )


@dataclass(frozen=True)
class OidcSetup:
    provider: RunningProvider
    other_issuer: RunningIssuer
    gateway: GatewayProcess


@pytest.fixture(scope="module")
def gateway_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def provider(gateway_port: int) -> Iterator[RunningProvider]:
    require_node()
    resources = [f"http://127.0.0.1:{gateway_port}/mcp", OTHER_RESOURCE]
    with running_provider(resources=resources, clients=CLIENTS) as running:
        yield running


def oidc_gateway_config(
    tmp_path: object, port: int, provider: RunningProvider, other: RunningIssuer, **auth: object
) -> dict[str, object]:
    """A gateway trusting the provider through its issuer URL alone (discovery), and the dev
    issuer through its JWKS URL: two issuers at once."""
    command, args = demo_stdio_command()
    jwt = [
        {
            "issuer": provider.issuer,
            "algorithms": ["RS256"],
            "groups_claim": "realm_access.roles",
            "jwks_refetch_seconds": 1,
        },
        {"issuer": other.url, "jwks_url": other.jwks_url, "algorithms": ["RS256"]},
    ]
    return gateway_config(
        tmp_path,  # type: ignore[arg-type]
        port=port,
        issuer_url=provider.issuer,
        upstreams={"demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}},
        auth={"authorization_servers": [provider.issuer], "jwt": jwt, **auth},
    )


@pytest.fixture(scope="module")
def oidc(
    provider: RunningProvider, gateway_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OidcSetup]:
    tmp_path = tmp_path_factory.mktemp("oidc-gateway")
    with running_issuer() as other:
        config = oidc_gateway_config(tmp_path, gateway_port, provider, other)
        with running_gateway(config, tmp_path) as gateway:
            yield OidcSetup(provider, other, gateway)
