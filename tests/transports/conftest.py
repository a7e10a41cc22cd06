"""One gateway process for the folder, in front of the demo server over stdio and over
Streamable HTTP (the policy of tests/gateway), reached here over its SSE and WebSocket
endpoints and compared with what the same user gets on /mcp. A module that needs another
gateway defines its own `gateway`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.conftest import POLICY, Mint, demo_and_web
from tests.support.gateway import (
    GatewayProcess,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
)
from tests.support.issuer import RunningIssuer


@pytest.fixture(scope="package")
def gateway(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    tmp_path = tmp_path_factory.mktemp("transports")
    with running_demo_http() as web:
        config = gateway_config(
            tmp_path,
            port=free_port(),
            issuer_url=issuer.url,
            upstreams=demo_and_web(web.url),
            policy={"file": str(POLICY)},
            server={"max_body_bytes": 65536},
        )
        with running_gateway(config, tmp_path) as running:
            yield running


@pytest.fixture
def mint(issuer: RunningIssuer, gateway: GatewayProcess) -> Mint:
    def mint_token(subject: str, **options: object) -> str:
        return issuer.issuer.mint(subject, audience=gateway.url, **options)  # type: ignore[arg-type]

    return mint_token


NODE_DIR = Path(__file__).with_name("node")


@pytest.fixture(scope="session")
def node_clients() -> Path:
    """The pinned TypeScript SDK client scripts (installed by `npm ci --prefix tests/transports/node`)."""
    if shutil.which("node") is None:
        message = "node is not installed: the TypeScript SDK client tests need Node.js 20+"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required in CI)")
        pytest.skip(message)
    if not (NODE_DIR / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        pytest.fail("the TypeScript SDK is not installed: run `npm ci --prefix tests/transports/node`")
    return NODE_DIR
