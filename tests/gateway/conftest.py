"""One gateway process for the module, in front of two real demo upstreams:
`demo` over stdio and `web` over Streamable HTTP (paginating two items a page)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.support.gateway import (
    GatewayProcess,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
)
from tests.support.issuer import RunningIssuer, running_issuer
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

POLICY = Path(__file__).with_name("policy.csv")
REDIS_URL = os.environ.get("AUTHZ_MCP_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

Mint = Callable[..., str]


@pytest.fixture(scope="session")
def issuer() -> Iterator[RunningIssuer]:
    with running_issuer() as running:
        yield running


@pytest.fixture(scope="module")
def web_upstream() -> Iterator[str]:
    with running_demo_http("--page-size", "2") as (url, _process):
        yield url


@pytest.fixture(scope="module")
def gateway(
    issuer: RunningIssuer, web_upstream: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    tmp_path = tmp_path_factory.mktemp("gateway")
    command, args = demo_stdio_command()
    config = gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams={
            "demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT},
            "web": {"transport": "streamable-http", "url": web_upstream},
        },
        policy={"file": str(POLICY)},
        server={"max_body_bytes": 65536},
    )
    with running_gateway(config, tmp_path) as running:
        yield running


@pytest.fixture
def mint(issuer: RunningIssuer, gateway: GatewayProcess) -> Mint:
    """Mint a token for the gateway's audience: mint("alice", groups=[...])."""

    def mint_token(subject: str, **options: object) -> str:
        return issuer.issuer.mint(subject, audience=gateway.url, **options)  # type: ignore[arg-type]

    return mint_token


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of the test's own in the shared Redis, deleted afterwards."""
    prefix = f"authz-mcp-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()
