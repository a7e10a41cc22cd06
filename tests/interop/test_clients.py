"""Real clients through the gateway, each compared with itself connected straight to the server:
the Python SDK (Streamable HTTP in both eras, and HTTP+SSE), the TypeScript SDK (Streamable HTTP
and WebSocket), the MCP Inspector CLI, and mcp-remote, the stdio bridge desktop clients use.

The upstream is server-everything over stdio; the user is `limited` (see tests/interop/
everything.py), so each client must show exactly the permitted part of what it sees directly,
field by field, get the same answers, and get a missing item's error for a hidden one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.interop.compare import (
    Catalog,
    Request,
    assert_answers_like_a_missing_one,
    assert_same_catalog,
    catalog,
    missing_twin,
    outcome,
    same_but_for_the_name,
)
from tests.interop.conftest import DIRECT_TIMEOUT, MODULE_TIMEOUT, Direct, interop_gateway, observe_direct
from tests.interop.everything import HIDDEN, POLICY, REQUESTS, U, everything, limited_view, permitted
from tests.interop.servers import NODE_BIN, NODE_DIR, everything_stdio
from tests.support.clients import mcp_client, mcp_sse_client
from tests.support.gateway import GatewayProcess
from tests.support.issuer import RunningIssuer

pytestmark = pytest.mark.timeout(MODULE_TIMEOUT)

NODE_TIMEOUT = 90.0


@dataclass(frozen=True)
class Setup:
    gateway: GatewayProcess
    token: str
    direct: Direct
    ts_direct: dict[str, Any]
    home: Path


def node(*args: str, home: Path) -> str:
    """Run a Node.js client to completion; its stdout."""
    done = subprocess.run(
        [shutil.which("node") or "node", *args],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        # mcp-remote and the Inspector keep state under the home directory.
        env={**os.environ, "HOME": str(home), "MCP_REMOTE_CONFIG_DIR": str(home / ".mcp-auth")},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def ts_client(target: dict[str, Any], requests: list[Request], home: Path) -> dict[str, Any]:
    wire = [{"method": r.method, "target": r.target, "arguments": r.arguments} for r in requests]
    out = node(str(NODE_DIR / "ts_client.mjs"), json.dumps(target), json.dumps(wire), home=home)
    return dict(json.loads(out))


def gateway_side(request: Request) -> Request:
    if request.method == "resources/read":
        return request
    return Request(request.method, U + request.target, request.arguments)


@pytest.fixture(scope="module")
def setup(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    home = tmp_path_factory.mktemp("home")
    server = everything_stdio()
    with everything("stdio") as (target, upstream):
        direct = observe_direct({"everything": (target, REQUESTS)})["everything"]
        ts_target = {"transport": "stdio", "command": server.command, "args": list(server.args)}
        ts_direct = ts_client(ts_target, [REQUESTS[i] for i in permitted()], home)
        tmp_path = tmp_path_factory.mktemp("gateway")
        with interop_gateway(issuer, tmp_path, {"everything": upstream}, POLICY) as (gateway, mint):
            yield Setup(gateway, mint("limited"), direct, ts_direct, home)


async def _python_client_checks(
    client: AbstractAsyncContextManager[Client], setup: Setup, version: str = "2025-11-25"
) -> None:
    with anyio.fail_after(DIRECT_TIMEOUT):
        async with client as connected:
            assert connected.protocol_version == version
            seen = await catalog(connected)
            outcomes = [await outcome(REQUESTS[index].send(connected, U)) for index in permitted()]
            for hidden in HIDDEN:
                await assert_answers_like_a_missing_one(connected, hidden, U)
    assert_same_catalog(seen, limited_view(setup.direct.catalog))
    assert outcomes == [setup.direct.outcomes[index] for index in permitted()]


async def test_python_sdk_over_streamable_http_in_the_2025_era(setup: Setup) -> None:
    await _python_client_checks(mcp_client(setup.gateway.url, setup.token), setup)


async def test_python_sdk_over_streamable_http_in_the_2026_era(setup: Setup) -> None:
    # "auto" asks `server/discover` first, and takes the modern era when the server offers it.
    client = mcp_client(setup.gateway.url, setup.token, mode="auto")
    await _python_client_checks(client, setup, "2026-07-28")


async def test_python_sdk_over_http_and_sse(setup: Setup) -> None:
    await _python_client_checks(mcp_sse_client(f"{setup.gateway.base_url}/sse", setup.token), setup)


async def test_mcp_remote_bridges_a_stdio_client_to_the_gateway(setup: Setup) -> None:
    bridge = StdioServerParameters(
        command=shutil.which("node") or "node",
        args=[
            str(NODE_BIN / "mcp-remote"),
            setup.gateway.url,
            "--header",
            f"Authorization:Bearer {setup.token}",
        ],
        env={
            "HOME": str(setup.home),
            "MCP_REMOTE_CONFIG_DIR": str(setup.home / ".mcp-auth"),
            "PATH": os.environ["PATH"],
        },
    )
    await _python_client_checks(Client(bridge, mode="legacy"), setup)


def _ts_checks(seen: dict[str, Any], setup: Setup) -> None:
    expected: Catalog = limited_view(setup.ts_direct["catalog"])
    assert_same_catalog(seen["catalog"], expected)
    count = len(permitted())
    assert seen["outcomes"][:count] == setup.ts_direct["outcomes"]
    rest = seen["outcomes"][count:]
    for index, hidden in enumerate(HIDDEN):
        got, missing = rest[2 * index], rest[2 * index + 1]
        assert "error" in got, hidden
        assert same_but_for_the_name(got["error"], missing["error"], gateway_side(hidden))


def _ts_requests() -> list[Request]:
    asked = [gateway_side(REQUESTS[index]) for index in permitted()]
    for hidden in HIDDEN:
        asked += [gateway_side(hidden), missing_twin(gateway_side(hidden))]
    return asked


def test_typescript_sdk_over_streamable_http(setup: Setup) -> None:
    target = {"transport": "http", "url": setup.gateway.url, "token": setup.token}
    _ts_checks(ts_client(target, _ts_requests(), setup.home), setup)


def test_typescript_sdk_over_websocket(setup: Setup) -> None:
    url = setup.gateway.base_url.replace("http://", "ws://") + "/ws"
    target = {"transport": "ws", "url": url, "token": setup.token}
    _ts_checks(ts_client(target, _ts_requests(), setup.home), setup)


def inspector(*args: str, home: Path) -> Any:
    """One run of the Inspector's CLI; its JSON answer (an error goes to stderr, with exit 5)."""
    command = [shutil.which("node") or "node", str(NODE_BIN / "mcp-inspector"), "--cli"]
    done = subprocess.run(
        [*command, "--connect-timeout", "60000", *args],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        env={**os.environ, "HOME": str(home)},
    )
    assert done.returncode in (0, 5), done.stderr[-2000:]
    return json.loads(done.stdout if done.returncode == 0 else done.stderr.strip().splitlines()[-1])


def test_mcp_inspector_cli(setup: Setup) -> None:
    """The Inspector runs on the TypeScript SDK: what it prints through the gateway is compared
    with what that SDK got directly (`Setup.ts_direct`)."""
    echo, features = REQUESTS[0], REQUESTS[12]
    assert echo.arguments is not None
    asks = [
        ("--method", "tools/list"),
        (
            "--method",
            "tools/call",
            "--tool-name",
            U + echo.target,
            "--tool-arg",
            f"message={echo.arguments['message']}",
        ),
        ("--method", "resources/read", "--uri", features.target),
        ("--method", "tools/call", "--tool-name", f"{U}get-env"),
        ("--method", "tools/call", "--tool-name", f"{U}get-env_that_does_not_exist"),
    ]
    gateway = (setup.gateway.url, "--transport", "http", "--header", f"Authorization: Bearer {setup.token}")
    # Each run starts Node.js twice (launcher and CLI) and mostly waits for that: side by side.
    with ThreadPoolExecutor(max_workers=len(asks)) as pool:
        tools, called, content, hidden, missing = pool.map(
            lambda ask: inspector(*gateway, *ask, home=setup.home), asks
        )
    expected = limited_view({**setup.ts_direct["catalog"], "prompts": [], "resources": []})
    assert_same_catalog(
        {"tools": tools["tools"], "prompts": [], "resources": [], "resourceTemplates": []}, expected
    )
    direct = setup.ts_direct["outcomes"]
    assert called == direct[permitted().index(0)]["result"]
    assert content == direct[permitted().index(12)]["result"]
    assert "error" in hidden
    assert hidden == json.loads(json.dumps(missing).replace(f"{U}get-env_that_does_not_exist", f"{U}get-env"))
