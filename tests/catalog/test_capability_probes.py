"""Over stdio, the lists a client declaring less is shown are learnt on probe processes; a
server that cannot run twice (it holds a lock for its life) fails every probe, and is then
served as before probing: everything its one process lists is shown, and it serves on."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import anyio
import pytest

from tests.catalog.conftest import CHATTY_MODULE, Mint, chatty_gateway_config, minter
from tests.support.clients import mcp_client
from tests.support.gateway import GatewayProcess, running_gateway
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import PROJECT_ROOT

# The chatty upstream, once per lock: a second start while the first runs exits at once.
_SINGLE_INSTANCE = f"""
import os, runpy, sys
try:
    os.mkdir(sys.argv[1])
except FileExistsError:
    sys.exit("already running")
sys.argv = ["chatty", "stdio"]
runpy.run_module({CHATTY_MODULE!r}, run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def gateway(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    tmp_path = tmp_path_factory.mktemp("single-instance")
    upstream = {
        "transport": "stdio",
        "command": sys.executable,
        "args": ["-c", _SINGLE_INSTANCE, str(tmp_path / "lock")],
        "cwd": PROJECT_ROOT,
    }
    with running_gateway(chatty_gateway_config(tmp_path, issuer, upstream), tmp_path) as running:
        yield running


@pytest.fixture
def mint(issuer: RunningIssuer, gateway: GatewayProcess) -> Mint:
    return minter(issuer, gateway.url)


async def test_a_failing_probe_hides_nothing_and_the_shared_process_serves_on(
    gateway: GatewayProcess, mint: Mint
) -> None:
    async with mcp_client(gateway.url, mint("alice")) as client:
        with anyio.fail_after(30):
            listed = {tool.name for tool in (await client.list_tools()).tools}
            echoed = await client.call_tool("chatty__echo", {"text": "still here"})
    assert {"chatty__echo", "chatty__sample", "chatty__elicit", "chatty__list_roots"} <= listed
    assert not echoed.is_error
    assert any("probe declaring none failed" in line for line in gateway.log)
