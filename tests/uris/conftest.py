"""The vault behind a real gateway process, in every combination the URI rule must hold in:
{legacy, 2026-07-28 client} x {stdio, Streamable HTTP upstream} x {legacy-only, dual-era
upstream}. Each upstream kind gets its own gateway and its own record of the resource URIs
the vault received (`--record`), so a test can see what was forwarded."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.support.clients import mcp_client
from tests.support.gateway import (
    GatewayProcess,
    free_port,
    gateway_config,
    running_gateway,
    running_server_http,
)
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT, stdio_command
from tests.support.vault_server import VAULT_MODULE, recorded

POLICY = Path(__file__).with_name("policy.csv")
MODERN = "2026-07-28"
CLIENT_MODES = ("legacy", MODERN)
UPSTREAM_KINDS = ("legacy-stdio", "modern-stdio", "legacy-http", "modern-http")


@dataclass
class VaultGateway:
    gateway: GatewayProcess
    record: Path

    def received(self) -> list[dict[str, str]]:
        """Every (method, uri) the vault received so far."""
        return recorded(self.record)


class VaultGateways:
    """One gateway per upstream kind, started when a test first needs it."""

    def __init__(self, issuer: RunningIssuer, tmp_path: Path, stack: contextlib.ExitStack) -> None:
        self.issuer = issuer
        self._tmp_path = tmp_path
        self._stack = stack
        self._running: dict[str, VaultGateway] = {}

    def get(self, kind: str) -> VaultGateway:
        if kind not in self._running:
            self._running[kind] = self._start(kind)
        return self._running[kind]

    def _start(self, kind: str) -> VaultGateway:
        era, transport = kind.split("-")
        record = self._tmp_path / f"received-{kind}.jsonl"
        flags = ("--record", str(record), *(("--legacy-only",) if era == "legacy" else ()))
        if transport == "http":
            vault = self._stack.enter_context(running_server_http(VAULT_MODULE, *flags))
            upstream: dict[str, Any] = {"transport": "streamable-http", "url": vault.url}
        else:
            command, args = stdio_command(VAULT_MODULE, *flags)
            upstream = {"transport": "stdio", "command": command, "args": args, "cwd": PROJECT_ROOT}
        config = gateway_config(
            self._tmp_path,
            port=free_port(),
            issuer_url=self.issuer.url,
            upstreams={"vault": upstream},
            policy={"file": str(POLICY)},
        )
        return VaultGateway(self._stack.enter_context(running_gateway(config, self._tmp_path)), record)


@dataclass
class Cell:
    mode: str
    kind: str
    vault: VaultGateway
    issuer: RunningIssuer

    @property
    def modern_client(self) -> bool:
        return self.mode == MODERN

    @property
    def gateway(self) -> GatewayProcess:
        return self.vault.gateway

    def token(self, subject: str = "mallory") -> str:
        return self.issuer.issuer.mint(subject, audience=self.gateway.url)

    @asynccontextmanager
    async def client(self, subject: str = "mallory", **options: Any) -> AsyncIterator[Client]:
        async with mcp_client(self.gateway.url, self.token(subject), mode=self.mode, **options) as client:
            yield client


@pytest.fixture(scope="session")
def vault_gateways(
    issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VaultGateways]:
    with contextlib.ExitStack() as stack:
        yield VaultGateways(issuer, tmp_path_factory.mktemp("vault"), stack)


@pytest.fixture(params=[(mode, kind) for kind in UPSTREAM_KINDS for mode in CLIENT_MODES], ids="-".join)
def cell(request: pytest.FixtureRequest, vault_gateways: VaultGateways) -> Cell:
    """Every client mode against every upstream kind."""
    mode, kind = request.param
    return Cell(mode, kind, vault_gateways.get(kind), vault_gateways.issuer)


@pytest.fixture(
    params=[(mode, kind) for kind in UPSTREAM_KINDS if kind.startswith("legacy") for mode in CLIENT_MODES],
    ids="-".join,
)
def legacy_upstream_cell(request: pytest.FixtureRequest, vault_gateways: VaultGateways) -> Cell:
    """Every client mode against the upstreams that announce updates on their session stream,
    where the vault names a file however the caller of its `touch` tool spelled it."""
    mode, kind = request.param
    return Cell(mode, kind, vault_gateways.get(kind), vault_gateways.issuer)
