"""A real gateway with the console on, signing people in at the real OIDC provider of
tests/oidc (node-oidc-provider, by its development login and consent pages)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.oidc.conftest import require_node
from tests.oidc.provider import RunningProvider, client_secret, running_provider
from tests.support.gateway import GatewayProcess, free_port, gateway_config, running_gateway
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

HERE = Path(__file__).resolve().parent
CONSOLE_CLIENT = "console"
ACCOUNTS = {"alice": {}, "bob": {}, "carol": {}, "dave": {"realm_access": {"roles": ["staff"]}}}
TIMEOUT = 20.0


@dataclass(frozen=True)
class ConsoleSetup:
    provider: RunningProvider
    gateway: GatewayProcess
    config_file: Path

    @property
    def console(self) -> str:
        return f"{self.gateway.base_url}/console"


def console_gateway_config(tmp_path: Path, port: int, provider: RunningProvider) -> dict[str, object]:
    command, args = demo_stdio_command()
    return gateway_config(
        tmp_path,
        port=port,
        issuer_url=provider.issuer,
        upstreams={"demo": {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}},
        auth={
            "authorization_servers": [provider.issuer],
            "jwt": [
                {"issuer": provider.issuer, "algorithms": ["RS256"], "groups_claim": "realm_access.roles"}
            ],
            "personal_tokens": True,
        },
        policy={"file": str(HERE / "policy.csv")},
        console={
            "client_id": CONSOLE_CLIENT,
            "client_secret": client_secret(CONSOLE_CLIENT),
            "scopes": ["openid", "profile", "roles"],
        },
    )


@pytest.fixture(scope="package")
def console_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleSetup]:
    """The provider and the console's gateway, shared by the folder's tests: each signs in
    afresh and looks only at its own users' tokens and at the latest audit lines."""
    with running_console(tmp_path_factory) as setup:
        yield setup


@contextlib.contextmanager
def running_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleSetup]:
    require_node()
    port = free_port()
    callback = f"http://127.0.0.1:{port}/console/callback"
    with running_provider(
        resources=[f"http://127.0.0.1:{port}/mcp"],
        clients={},
        web_clients={CONSOLE_CLIENT: [callback]},
        accounts=ACCOUNTS,
    ) as provider:
        tmp_path = tmp_path_factory.mktemp("console")
        with running_gateway(console_gateway_config(tmp_path, port, provider), tmp_path) as gateway:
            yield ConsoleSetup(provider, gateway, tmp_path / f"gateway-{port}.yaml")


def form_of(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The page's first form: its absolute action URL and its hidden fields."""
    match = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert match is not None, page.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return urljoin(str(page.url), unescape(match.group(1))), {k: unescape(v) for k, v in hidden.items()}


@contextlib.contextmanager
def sign_in(setup: ConsoleSetup, user: str) -> Iterator[httpx.Client]:
    """A browser-like client signed in to the console as `user`, through the provider's pages."""
    with httpx.Client(follow_redirects=True, timeout=TIMEOUT) as client:
        page = client.get(f"{setup.console}/login")
        for _ in range(3):  # the provider's login page, then its consent page
            if page.url.path.startswith("/console"):
                break
            action, fields = form_of(page)
            page = client.post(action, data={**fields, "login": user, "password": "any"})
        assert page.status_code == 200, page.text
        assert str(page.url) == f"{setup.console}/", page.url
        yield client


def csrf_of(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None, page.text
    return match.group(1)
