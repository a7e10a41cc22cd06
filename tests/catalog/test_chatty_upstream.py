"""An upstream that sends notifications and server->client requests at any moment (during
initialize, between list pages, while a call runs) is served like any other: the gateway
starts, lists it, relays its calls, and a list change during a refresh brings one more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mcp.types import ListRootsResult, Root

from tests.catalog.conftest import Mint, chatty_gateway, minter
from tests.support.clients import mcp_client
from tests.support.gateway import GatewayProcess
from tests.support.issuer import RunningIssuer

PLAIN_TOOLS = {"chatty__echo", "chatty__announce", "chatty__stats", "chatty__wait_passes"}


@pytest.fixture(scope="module")
def gateway(
    transport: str,
    request: pytest.FixtureRequest,
    issuer: RunningIssuer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[GatewayProcess]:
    with chatty_gateway(transport, request, issuer, tmp_path_factory.mktemp("chatty")) as running:
        yield running


@pytest.fixture
def mint(issuer: RunningIssuer, gateway: GatewayProcess) -> Mint:
    return minter(issuer, gateway.url)


def _text(result: Any) -> Any:
    return json.loads(result.content[0].model_dump()["text"])


async def _roots(context: Any) -> ListRootsResult:
    return ListRootsResult(roots=[Root(uri="file:///work", name="work")])  # type: ignore[arg-type]


async def test_gateway_is_ready_with_the_upstream_listed(gateway: GatewayProcess, mint: Mint) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        ready = await http.get(f"{gateway.base_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["upstreams"] == {"chatty": True}
    async with mcp_client(gateway.url, mint("alice")) as client:
        with anyio.fail_after(20):
            listed = await client.list_tools()
    assert {tool.name for tool in listed.tools} >= PLAIN_TOOLS


async def test_a_list_change_during_the_first_refresh_brings_another(
    gateway: GatewayProcess, mint: Mint
) -> None:
    async with mcp_client(gateway.url, mint("alice")) as client:
        with anyio.fail_after(30):
            result = await client.call_tool("chatty__wait_passes", {"count": 2})
    # The first pass was interrupted by list changes on every page; a second one followed.
    assert _text(result)["done"] >= 2


async def test_call_completes_while_the_upstream_talks_and_asks(gateway: GatewayProcess, mint: Mint) -> None:
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with mcp_client(gateway.url, mint("alice"), list_roots_callback=_roots) as client:
        with anyio.fail_after(30):
            result = await client.call_tool("chatty__echo", {"text": "hi"}, progress_callback=on_progress)
    # Both progress notifications arrived, in order, before the result; the upstream's
    # roots/list during the call reached this client and was answered.
    assert seen == [1, 2]
    assert _text(result) == {"echo": "hi", "roots": True}


async def test_concurrent_calls_and_list_changes_do_not_stall(gateway: GatewayProcess, mint: Mint) -> None:
    async with mcp_client(gateway.url, mint("alice"), list_roots_callback=_roots) as client:
        outcomes: list[Any] = []

        async def echo(index: int) -> None:
            outcomes.append(_text(await client.call_tool("chatty__echo", {"text": str(index)})))

        with anyio.fail_after(40):
            async with anyio.create_task_group() as group:
                for index in range(5):
                    group.start_soon(echo, index)
                    group.start_soon(client.call_tool, "chatty__announce", {})
            listed = await client.list_tools()
    assert sorted(outcome["echo"] for outcome in outcomes) == [str(index) for index in range(5)]
    assert {tool.name for tool in listed.tools} >= PLAIN_TOOLS
