"""A user is shown what the upstream offers a client like theirs, and can use all of it.

The chatty upstream (over Streamable HTTP, and over stdio) offers `sample`, `elicit` and `list_roots` only to
a client that declared sampling, elicitation or roots. Through the gateway, in both client
eras: a client declaring sampling sees and calls `sample`; a client declaring nothing neither
sees nor can call it, and the call answers exactly as an unknown tool does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import CreateMessageResult, SamplingCapability, SamplingContextCapability, TextContent

from tests.catalog.conftest import Mint, chatty_gateway, minter
from tests.support.clients import mcp_client
from tests.support.gateway import GatewayProcess
from tests.support.issuer import RunningIssuer

MODES = ["legacy", "2026-07-28"]
CAPABILITY_TOOLS = {"chatty__sample", "chatty__elicit", "chatty__list_roots"}


@pytest.fixture(scope="module", params=["http", "stdio"])
def gateway(
    request: pytest.FixtureRequest, issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    # Streamable HTTP: each user has a session of their own. A stdio upstream is one process
    # shared by every user, initialized once with everything the gateway can relay, whose
    # lists a client declaring less sees less of (proxy/capset_probes.py).
    with chatty_gateway(request.param, request, issuer, tmp_path_factory.mktemp("capabilities")) as running:
        yield running


@pytest.fixture
def mint(issuer: RunningIssuer, gateway: GatewayProcess) -> Mint:
    return minter(issuer, gateway.url)


async def _sample(context: Any, params: Any) -> CreateMessageResult:
    return CreateMessageResult(role="assistant", content=TextContent(type="text", text="sampled"), model="m")


async def _error_of(client: Any, name: str) -> tuple[int, str]:
    with pytest.raises(MCPError) as raised:
        await client.call_tool(name, {})
    return raised.value.error.code, raised.value.error.message


@pytest.mark.parametrize("mode", MODES)
async def test_client_declaring_sampling_sees_and_calls_the_sampling_tool(
    gateway: GatewayProcess, mint: Mint, mode: str
) -> None:
    async with mcp_client(gateway.url, mint("bob"), mode=mode, sampling_callback=_sample) as client:
        with anyio.fail_after(30):
            listed = {tool.name for tool in (await client.list_tools()).tools}
            result = await client.call_tool("chatty__sample", {})
    # bob may call echo and sample; elicit and list_roots need capabilities he did not declare.
    assert listed == {"chatty__echo", "chatty__sample"}
    answer = json.loads(result.content[0].model_dump()["text"])
    assert answer["result"]["content"]["text"] == "sampled"


@pytest.mark.parametrize("mode", MODES)
async def test_a_sampling_request_reaches_the_client_without_other_servers_context(
    gateway: GatewayProcess, mint: Mint, mode: str
) -> None:
    """Behind the gateway the client's "this server" is every upstream: an upstream asking for
    context gets none, whatever the client declared (`sampling.context` included)."""
    asked: list[Any] = []

    async def sample(context: Any, params: Any) -> CreateMessageResult:
        asked.append(params.include_context)
        return await _sample(context, params)

    capabilities = SamplingCapability(context=SamplingContextCapability())
    async with mcp_client(
        gateway.url, mint("bob"), mode=mode, sampling_callback=sample, sampling_capabilities=capabilities
    ) as client:
        with anyio.fail_after(30):
            for wanted in ("allServers", "thisServer", "none"):
                result = await client.call_tool("chatty__sample", {"includeContext": wanted})
                assert json.loads(result.content[0].model_dump()["text"])["result"]["model"] == "m"
    assert asked == ["none", "none", "none"]


@pytest.mark.parametrize("mode", MODES)
async def test_client_declaring_nothing_neither_sees_nor_calls_capability_tools(
    gateway: GatewayProcess, mint: Mint, mode: str
) -> None:
    async with mcp_client(gateway.url, mint("alice"), mode=mode) as client:
        with anyio.fail_after(30):
            listed = {tool.name for tool in (await client.list_tools()).tools}
            unknown = await _error_of(client, "chatty__no_such_tool")
            hidden = {name: await _error_of(client, name) for name in sorted(CAPABILITY_TOOLS)}
    assert "chatty__echo" in listed
    assert not listed & CAPABILITY_TOOLS
    for name, error in hidden.items():
        assert error == (unknown[0], unknown[1].replace("chatty__no_such_tool", name))


async def test_each_client_gets_the_catalog_of_what_it_declared(gateway: GatewayProcess, mint: Mint) -> None:
    async with (
        mcp_client(gateway.url, mint("alice"), sampling_callback=_sample) as sampling,
        mcp_client(gateway.url, mint("alice")) as plain,
    ):
        with anyio.fail_after(30):
            with_sampling = {tool.name for tool in (await sampling.list_tools()).tools}
            without = {tool.name for tool in (await plain.list_tools()).tools}
            again = {tool.name for tool in (await sampling.list_tools()).tools}
    assert with_sampling - without == {"chatty__sample"}
    assert again == with_sampling
