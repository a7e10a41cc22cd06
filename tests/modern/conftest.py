"""The era matrix: {legacy client, modern client} x {legacy upstream, modern upstream}.

Each upstream kind gets its own gateway process in front of one demo server, named
`demo` (resource URIs are not prefixed, so two demo servers behind one gateway
would collide):

- `legacy-http` / `legacy-stdio`: the demo server with `--legacy-only`, which answers
  `server/discover` as a pre-2026 server does; the gateway detects 2025-11-25.
- `modern-http` / `modern-stdio`: the dual-era demo server; the gateway detects 2026-07-28.

Every upstream is left at `protocol: auto`, so the detection is under test too. A
cell is a client mode (the official SDK client in "legacy" or "2026-07-28" mode) and
one of these gateways; the same checks run in every cell.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.support.clients import mcp_client
from tests.support.gateway import (
    DemoProcess,
    GatewayProcess,
    free_port,
    gateway_config,
    running_demo_http,
    running_gateway,
)
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT, demo_stdio_command

POLICY = Path(__file__).with_name("policy.csv")
MODERN = "2026-07-28"
CLIENT_MODES = ("legacy", MODERN)
UPSTREAM_KINDS = ("legacy-http", "modern-http", "legacy-stdio", "modern-stdio")


class Gateways:
    """One gateway per upstream kind, started when a test first needs it."""

    def __init__(self, issuer: RunningIssuer, tmp_path: Path, stack: contextlib.ExitStack) -> None:
        self.issuer = issuer
        self._tmp_path = tmp_path
        self._stack = stack
        self._running: dict[str, tuple[GatewayProcess, list[str]]] = {}

    def get(self, kind: str) -> tuple[GatewayProcess, list[str]]:
        """The gateway for `kind`, and where its upstream's stderr lands."""
        if kind not in self._running:
            self._running[kind] = self._start(kind)
        return self._running[kind]

    def _start(self, kind: str, **sections: Any) -> tuple[GatewayProcess, list[str]]:
        era, transport = kind.split("-")
        flags = ("--legacy-only",) if era == "legacy" else ()
        if transport == "http":
            demo: DemoProcess = self._stack.enter_context(running_demo_http(*flags))
            upstream: dict[str, Any] = {"transport": "streamable-http", "url": demo.url}
        else:
            command, args = demo_stdio_command(*flags)
            upstream = {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}
        config = gateway_config(
            self._tmp_path,
            port=free_port(),
            issuer_url=self.issuer.url,
            upstreams={"demo": upstream},
            policy={"file": str(POLICY)},
            **sections,
        )
        gateway = self._stack.enter_context(running_gateway(config, self._tmp_path))
        # A stdio upstream's stderr is logged by the gateway.
        return gateway, demo.stderr if transport == "http" else gateway.log


@dataclass
class Cell:
    mode: str
    """The SDK client's mode: "legacy" or "2026-07-28"."""
    kind: str
    """The upstream kind behind the gateway."""
    gateway: GatewayProcess
    upstream_log: list[str]
    mint: Callable[..., str]

    @property
    def modern_client(self) -> bool:
        return self.mode == MODERN

    @property
    def modern_upstream(self) -> bool:
        return self.kind.startswith("modern")

    def token(self, subject: str, **claims: Any) -> str:
        return self.mint(subject, audience=self.gateway.url, **claims)

    @asynccontextmanager
    async def client(
        self, subject: str, *, groups: list[str] | None = None, mode: str | None = None, **options: Any
    ) -> AsyncIterator[Client]:
        """The SDK client of `subject`, in the cell's mode unless `mode` says otherwise."""
        token = self.token(subject, groups=groups) if groups else self.token(subject)
        async with mcp_client(self.gateway.url, token, mode=mode or self.mode, **options) as client:
            yield client


@pytest.fixture(scope="session")
def gateways(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateways]:
    with contextlib.ExitStack() as stack:
        yield Gateways(issuer, tmp_path_factory.mktemp("eras"), stack)


def _cell(gateways: Gateways, mode: str, kind: str) -> Cell:
    gateway, log = gateways.get(kind)
    return Cell(mode, kind, gateway, log, gateways.issuer.issuer.mint)


@pytest.fixture(params=[(mode, kind) for kind in UPSTREAM_KINDS for mode in CLIENT_MODES], ids="-".join)
def cell(request: pytest.FixtureRequest, gateways: Gateways) -> Cell:
    """Every client mode against every upstream kind."""
    mode, kind = request.param
    return _cell(gateways, mode, kind)


@pytest.fixture(params=UPSTREAM_KINDS)
def modern_cell(request: pytest.FixtureRequest, gateways: Gateways) -> Cell:
    """A 2026-07-28 client against every upstream kind (for what only that era has)."""
    return _cell(gateways, MODERN, request.param)
