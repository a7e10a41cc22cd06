"""One gateway process for the folder, in front of two real demo upstreams:
`demo` over stdio and `web` over Streamable HTTP (paginating two items a page). The modules keep
apart by their users and sessions; a module that needs a gateway of its own defines `gateway`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.gateway import (
    GatewayProcess,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
)
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

POLICY = Path(__file__).with_name("policy.csv")
# Browser apps' origins the gateway allows (CORS). The second is where the headless browser test
# serves its page: on loopback, as Chromium lets only a loopback page reach a loopback gateway
# without asking the user for local network access.
APP_ORIGIN = "https://app.example.com"
BROWSER_PAGE_PORT = free_port()
BROWSER_ORIGIN = f"http://127.0.0.1:{BROWSER_PAGE_PORT}"

Mint = Callable[..., str]


def demo_and_web(web_upstream: str) -> dict[str, Any]:
    """The two upstreams of these tests: `demo` over stdio, `web` over Streamable HTTP."""
    command, args = demo_stdio_command()
    return {
        "demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT},
        "web": {"transport": "streamable-http", "url": web_upstream},
    }


@pytest.fixture(scope="package")
def web_upstream() -> Iterator[str]:
    with running_demo_http("--page-size", "2") as demo:
        yield demo.url


@contextlib.contextmanager
def folder_gateway(issuer: RunningIssuer, web_upstream: str, tmp_path: Path) -> Iterator[GatewayProcess]:
    """A gateway process as this folder's tests expect it, in front of `web_upstream`."""
    config = gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams=demo_and_web(web_upstream),
        policy={"file": str(POLICY)},
        server={"max_body_bytes": 65536, "allowed_origins": [APP_ORIGIN, BROWSER_ORIGIN]},
    )
    with running_gateway(config, tmp_path) as running:
        yield running


@pytest.fixture(scope="package")
def gateway(
    issuer: RunningIssuer, web_upstream: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    with folder_gateway(issuer, web_upstream, tmp_path_factory.mktemp("gateway")) as running:
        yield running


@pytest.fixture
def mint(issuer: RunningIssuer, gateway: GatewayProcess) -> Mint:
    """Mint a token for the gateway's audience: mint("alice", groups=[...])."""

    def mint_token(subject: str, **options: object) -> str:
        return issuer.issuer.mint(subject, audience=gateway.url, **options)  # type: ignore[arg-type]

    return mint_token
