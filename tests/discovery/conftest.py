"""Gateways in search mode (and auto mode) in front of two real demo upstreams: `demo` over
stdio and `web` over Streamable HTTP, with the policy of tests/gateway (alice: everything,
bob: a restricted set). The search gateway and its `web` upstream serve the whole folder; a
module that changes an upstream's catalog defines its own `gateway`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.conftest import POLICY, demo_and_web
from tests.support.gateway import (
    GatewayProcess,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
)
from tests.support.issuer import RunningIssuer

Mint = Callable[..., str]


@pytest.fixture(scope="package")
def web_upstream() -> Iterator[str]:
    with running_demo_http("--page-size", "2") as demo:
        yield demo.url


def discovery_gateway(
    issuer: RunningIssuer, web_upstream: str, tmp_path: Path, **discovery: Any
) -> Iterator[GatewayProcess]:
    config = gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams=demo_and_web(web_upstream),
        policy={"file": str(POLICY)},
        discovery=discovery,
    )
    with running_gateway(config, tmp_path) as running:
        yield running


@pytest.fixture(scope="package")
def gateway(
    issuer: RunningIssuer, web_upstream: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """mode: search, for everyone."""
    yield from discovery_gateway(issuer, web_upstream, tmp_path_factory.mktemp("search"), mode="search")


@pytest.fixture
def mint(issuer: RunningIssuer) -> Callable[[GatewayProcess, str], str]:
    def mint_token(gateway: GatewayProcess, subject: str) -> str:
        return issuer.issuer.mint(subject, audience=gateway.url)

    return mint_token
