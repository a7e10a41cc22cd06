"""HTTP+SSE (2024-11-05) upstreams behind the gateway: the demo server's sse mode and
server-everything's, each seen through the gateway as a direct client sees it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.types import CreateMessageResult, ElicitResult, ListRootsResult, TextContent

from tests.gateway.conftest import Mint
from tests.interop.servers import require_tools, running_everything_http
from tests.support.clients import call_outcome, mcp_client
from tests.support.gateway import GatewayProcess, free_port, gateway_config, running_gateway
from tests.support.issuer import RunningIssuer
from tests.support.upstreams import demo_sse_on

POLICY = """\
p, role:admin, demo/tools/*, call, allow
p, role:admin, demo/prompts/*, get, allow
p, role:admin, demo/resources/*, read, allow
p, role:admin, everything/tools/*, call, allow
p, role:admin, everything/prompts/*, get, allow
p, role:admin, everything/resources/*, read, allow
p, role:viewer, demo/tools/echo, call, allow
g, alice, role:admin
g, bob, role:viewer
"""


async def _sample(context: Any, params: Any) -> CreateMessageResult:
    return CreateMessageResult(role="assistant", content=TextContent(type="text", text="ok"), model="test")


async def _elicit(context: Any, params: Any) -> ElicitResult:
    return ElicitResult(action="decline")


async def _roots(context: Any) -> ListRootsResult:
    return ListRootsResult(roots=[])


# Declared by the direct client and the gateway's, so both are offered the same
# capability-dependent tools.
CALLBACKS: dict[str, Any] = {
    "sampling_callback": _sample,
    "elicitation_callback": _elicit,
    "list_roots_callback": _roots,
}


@pytest.fixture(scope="module")
def everything_sse() -> Iterator[str]:
    require_tools()
    with running_everything_http("sse") as server:
        yield server.url


@pytest.fixture(scope="module")
def demo_sse() -> Iterator[str]:
    port = free_port()
    with demo_sse_on(port):
        yield f"http://127.0.0.1:{port}/sse"


@pytest.fixture(scope="module")
def gateway(
    issuer: RunningIssuer, everything_sse: str, demo_sse: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    tmp_path = tmp_path_factory.mktemp("sse-upstreams")
    policy = tmp_path / "policy.csv"
    policy.write_text(POLICY, encoding="utf-8")
    config = gateway_config(
        tmp_path,
        port=free_port(),
        issuer_url=issuer.url,
        upstreams={
            "demo": {"transport": "sse", "url": demo_sse},
            "everything": {"transport": "sse", "url": everything_sse},
        },
        policy={"file": str(policy)},
    )
    with running_gateway(config, tmp_path) as running:
        yield running


@pytest.fixture
def mint(issuer: RunningIssuer, gateway: GatewayProcess) -> Mint:
    def mint_token(subject: str, **options: object) -> str:
        return issuer.issuer.mint(subject, audience=gateway.url, **options)  # type: ignore[arg-type]

    return mint_token


async def _direct_names(url: str) -> dict[str, set[str]]:
    async with Client(sse_client(url, timeout=30.0), mode="legacy", **CALLBACKS) as client:
        return {
            "tools": {tool.name for tool in (await client.list_tools()).tools},
            "prompts": {prompt.name for prompt in (await client.list_prompts()).prompts},
        }


@pytest.mark.parametrize("upstream", ["demo", "everything"])
async def test_a_fully_permitted_user_sees_what_a_direct_sse_client_sees(
    gateway: GatewayProcess, mint: Mint, demo_sse: str, everything_sse: str, upstream: str
) -> None:
    direct = await _direct_names(demo_sse if upstream == "demo" else everything_sse)
    async with mcp_client(gateway.url, mint("alice"), **CALLBACKS) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        prompts = {prompt.name for prompt in (await client.list_prompts()).prompts}
    prefix = f"{upstream}__"
    # The SDK client declares URL-mode elicitation, which the gateway passes upstream: both
    # clients are offered server-everything's URL-elicitation tool.
    assert {name.removeprefix(prefix) for name in tools if name.startswith(prefix)} == direct["tools"]
    assert {name.removeprefix(prefix) for name in prompts if name.startswith(prefix)} == direct["prompts"]
    assert direct["tools"]


async def test_calls_reach_sse_upstreams_and_a_restricted_user_gets_only_what_it_may(
    gateway: GatewayProcess, mint: Mint
) -> None:
    async with mcp_client(gateway.url, mint("alice")) as client:
        echoed = await client.call_tool("everything__echo", {"message": "through the gateway"})
        added = await client.call_tool("demo__add", {"a": 2, "b": 3})
    async with mcp_client(gateway.url, mint("bob")) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        hidden = await call_outcome(client.call_tool("everything__echo", {"message": "no"}))
        missing = await call_outcome(client.call_tool("everything__no_such_tool", {}))
    assert "through the gateway" in str(echoed.content[0].model_dump()["text"])
    assert "5" in str(added.content[0].model_dump()["text"])
    assert tools == {"demo__echo"}
    assert hidden == missing == -32602
