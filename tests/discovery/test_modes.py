"""mode: auto gives search mode to users permitted more tools than the threshold, and the
reserved names are a startup error."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from mcp.shared.exceptions import MCPError

from tests.discovery.conftest import discovery_gateway
from tests.support.clients import mcp_client
from tests.support.gateway import GatewayProcess, free_port, gateway_config
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT

MintFor = Callable[[GatewayProcess, str], str]
# alice may call all 24 tools of both upstreams, bob 15 of them.
THRESHOLD = 20


@pytest.fixture(scope="module")
def auto_gateway(
    issuer: RunningIssuer, web_upstream: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    yield from discovery_gateway(
        issuer, web_upstream, tmp_path_factory.mktemp("auto"), mode="auto", search_threshold=THRESHOLD
    )


async def test_auto_mode_searches_for_users_above_the_threshold_only(
    auto_gateway: GatewayProcess, mint: MintFor
) -> None:
    async with mcp_client(auto_gateway.url, mint(auto_gateway, "alice")) as alice:
        assert [tool.name for tool in (await alice.list_tools()).tools] == ["find_tools", "call_tool"]
        assert not (await alice.call_tool("find_tools", {"query": "echo"})).is_error
    async with mcp_client(auto_gateway.url, mint(auto_gateway, "bob"), mode="2026-07-28") as bob:
        names = {tool.name for tool in (await bob.list_tools()).tools}
        assert len(names) == 15
        assert "find_tools" not in names
        for gateway_tool in ("find_tools", "call_tool"):
            with pytest.raises(MCPError) as unknown:
                await bob.call_tool(gateway_tool, {"query": "echo", "name": "web__echo"})
            assert unknown.value.error.code == -32602
        assert not (await bob.call_tool("web__echo", {"text": "full mode"})).is_error


def test_an_upstream_exposing_a_reserved_name_unprefixed_is_a_startup_error(
    issuer: RunningIssuer, tmp_path: Path
) -> None:
    upstream = {
        "transport": "stdio",
        "command": sys.executable,
        "args": ["-m", "tests.discovery.reserved_server"],
        "cwd": PROJECT_ROOT,
        "prefix": "",
    }
    config = gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams={"oddball": upstream},
        discovery={"mode": "search"},
        policy={"file": str(oddball_policy(tmp_path))},
    )
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "authz_mcp", "serve", "--config", str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert done.returncode == 1
    assert "'oddball'" in done.stderr
    assert "'call_tool'" in done.stderr


def oddball_policy(tmp_path: Path) -> Path:
    """A policy for the one `oddball` upstream (one naming another upstream would not start)."""
    policy = tmp_path / "policy.csv"
    policy.write_text("p, alice, oddball/tools/*, call, allow\n", encoding="utf-8")
    return policy
