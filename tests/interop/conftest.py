"""Real third-party MCP servers behind a real gateway process.

The servers are installed by scripts/test (npm ci --prefix tests/interop/node, pip install -r
tests/interop/requirements.txt). Without them the tests skip with that reason, except in CI
(CI=true), where they fail.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.interop.compare import Catalog, Outcome, Request, catalog, outcome
from tests.interop.servers import StdioServer, require_tools
from tests.support.gateway import GatewayProcess, free_port, gateway_config, running_gateway
from tests.support.issuer import RunningIssuer

# Starting a server (a Node or Python interpreter and its imports) takes seconds each on a busy
# two-core machine, and a gateway starts all of its upstreams before it is ready.
DIRECT_TIMEOUT = 60.0
GATEWAY_START_TIMEOUT = 90.0
# pytest-timeout counts a module fixture's setup against the first test that needs it.
MODULE_TIMEOUT = 240


@pytest.fixture(autouse=True, scope="module")
def _interop_tools_installed() -> None:
    require_tools()


def full_access(upstream: str, role: str) -> list[str]:
    """Policy lines giving `role` everything of `upstream`."""
    return [
        f"p, {role}, {upstream}/tools/*, call, allow",
        f"p, {role}, {upstream}/prompts/*, get, allow",
        f"p, {role}, {upstream}/resources/*, read, allow",
    ]


def write_policy(path: Path, lines: Iterable[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class Direct:
    """What a client connected straight to a server observes: its catalog and the outcomes
    of the representative requests, in order."""

    catalog: Catalog
    outcomes: tuple[Outcome, ...]


async def observe(client: Client, requests: Iterable[Request], prefix: str = "") -> tuple[Outcome, ...]:
    return tuple([await outcome(request.send(client, prefix)) for request in requests])


def observe_direct(servers: Mapping[str, tuple[Any, tuple[Request, ...]]]) -> dict[str, Direct]:
    """Connect the Python SDK straight to every server at once; list everything and send each
    server's representative requests. `servers` maps a name to (a StdioServer, a URL, or a
    factory of a client target, and the requests)."""
    found: dict[str, Direct] = {}

    async def one(name: str, server: Any, requests: tuple[Request, ...]) -> None:
        target = (
            server.params() if isinstance(server, StdioServer) else server() if callable(server) else server
        )
        async with Client(target, mode="legacy") as client:
            found[name] = Direct(await catalog(client), await observe(client, requests))

    async def main() -> None:
        with anyio.fail_after(DIRECT_TIMEOUT):
            async with anyio.create_task_group() as group:
                for name, (server, requests) in servers.items():
                    group.start_soon(one, name, server, requests)

    anyio.run(main)
    return found


Mint = Callable[[str], str]


@dataclass(frozen=True)
class Setup:
    """A gateway in front of some servers, with what each server answered directly."""

    gateway: GatewayProcess
    direct: dict[str, Direct]
    mint: Mint
    # Per server, a factory of what a direct `mcp.Client` connects to.
    targets: dict[str, Callable[[], Any]] = field(default_factory=dict)


@contextlib.contextmanager
def interop_gateway(
    issuer: RunningIssuer, tmp_path: Path, upstreams: dict[str, Any], policy: Iterable[str]
) -> Iterator[tuple[GatewayProcess, Mint]]:
    """A gateway on a free port in front of `upstreams`, with `policy` in a file of its own."""
    policy_file = write_policy(tmp_path / "policy.csv", policy)
    config = gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams=upstreams,
        policy={"file": str(policy_file)},
    )
    with running_gateway(config, tmp_path, start_timeout=GATEWAY_START_TIMEOUT) as gateway:

        def mint(subject: str) -> str:
            return issuer.issuer.mint(subject, audience=gateway.url)

        yield gateway, mint
