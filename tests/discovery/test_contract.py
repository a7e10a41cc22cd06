"""Search mode through the real gateway, with the official SDK client in both eras."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from bench.search import load_queries
from tests.support.clients import mcp_client
from tests.support.gateway import GatewayProcess

MintFor = Callable[[GatewayProcess, str], str]
ERAS = ("legacy", "2026-07-28")
WEB_TOOLS = {
    "echo",
    "add",
    "get_forecast",
    "search_docs",
    "delete_record",
    "rotate_credentials",
    "slow_task",
    "ask_model",
    "confirm_action",
    "list_client_roots",
    "touch_resource",
    "add_dynamic_tool",
}
BOB_TOOLS = {
    "demo__echo",
    "demo__add",
    "demo__slow_task",
    "demo__ask_model",
    "demo__list_client_roots",
} | {f"web__{name}" for name in WEB_TOOLS - {"delete_record", "rotate_credentials"}}


async def found(client: Client, query: str, limit: int | None = None) -> list[dict[str, Any]]:
    arguments: dict[str, Any] = {"query": query}
    if limit is not None:
        arguments["limit"] = limit
    result = await client.call_tool("find_tools", arguments)
    assert not result.is_error
    assert result.structured_content is not None
    tools: list[dict[str, Any]] = result.structured_content["tools"]
    return tools


@pytest.mark.parametrize("era", ERAS)
async def test_search_mode_lists_the_two_gateway_tools_and_leaves_prompts_alone(
    gateway: GatewayProcess, mint: MintFor, era: str
) -> None:
    async with mcp_client(gateway.url, mint(gateway, "alice"), mode=era) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts
    assert [tool.name for tool in tools] == ["find_tools", "call_tool"]
    find_tools = tools[0]
    assert find_tools.output_schema is not None
    assert find_tools.output_schema["required"] == ["tools"]
    assert set(find_tools.input_schema["properties"]) == {"query", "limit"}
    assert set(tools[1].input_schema["properties"]) == {"name", "arguments"}
    assert {prompt.name for prompt in prompts} == {"demo__summarize", "demo__incident_report"}


@pytest.mark.parametrize("era", ERAS)
async def test_find_tools_ranks_the_matching_tool_first_and_call_tool_runs_it(
    gateway: GatewayProcess, mint: MintFor, era: str
) -> None:
    async with mcp_client(gateway.url, mint(gateway, "alice"), mode=era) as client:
        result = await client.call_tool(
            "find_tools", {"query": "what will the weather be tomorrow", "limit": 3}
        )
        assert result.structured_content is not None
        tools = result.structured_content["tools"]
        assert json.loads(result.content[0].model_dump()["text"]) == result.structured_content
        assert tools[0]["name"] in {"demo__get_forecast", "web__get_forecast"}
        assert len(tools) <= 3
        assert all(set(tool) == {"name", "description", "inputSchema"} for tool in tools)
        echoed = await client.call_tool(
            "call_tool", {"name": "web__echo", "arguments": {"text": "via call_tool"}}
        )
        direct = await client.call_tool("web__echo", {"text": "via call_tool"})
    assert not echoed.is_error
    assert echoed.content[0].model_dump()["text"] == direct.content[0].model_dump()["text"]


@pytest.mark.parametrize("era", ERAS)
async def test_a_restricted_user_finds_only_tools_they_may_call(
    gateway: GatewayProcess, mint: MintFor, era: str
) -> None:
    async with mcp_client(gateway.url, mint(gateway, "bob"), mode=era) as client:
        deletes = await found(client, "delete a record, then echo a message back", limit=50)
        assert deletes, "bob may call echo"
        assert {tool["name"] for tool in deletes} <= BOB_TOOLS
        for name in ("web__delete_record", "demo__delete_record"):
            with pytest.raises(MCPError) as hidden:
                await client.call_tool("call_tool", {"name": name, "arguments": {"record_id": "1"}})
            assert hidden.value.error.code == -32602


async def test_every_benchmark_request_finds_only_the_restricted_users_tools(
    gateway: GatewayProcess, mint: MintFor
) -> None:
    seen: set[str] = set()
    async with mcp_client(gateway.url, mint(gateway, "bob")) as client:
        for query in load_queries():
            names = {tool["name"] for tool in await found(client, query.text, limit=50)}
            assert names <= BOB_TOOLS, query.text
            seen |= names
    assert seen, "the requests matched some of bob's tools"


async def test_call_tool_is_audited_as_the_tools_call_it_stands_for(
    gateway: GatewayProcess, mint: MintFor
) -> None:
    async with mcp_client(gateway.url, mint(gateway, "bob")) as client:
        await client.call_tool("call_tool", {"name": "demo__add", "arguments": {"a": 2, "b": 3}})
        with pytest.raises(MCPError):
            await client.call_tool("call_tool", {"name": "web__rotate_credentials", "arguments": {}})
    lines = [
        line for line in gateway.audit() if line.get("user") == "bob" and line.get("method") == "tools/call"
    ]
    by_item = {line.get("item"): line for line in lines}
    assert by_item["demo__add"]["decision"] == "allow"
    assert by_item["web__rotate_credentials"]["decision"] == "deny"


async def test_bad_find_tools_arguments_are_a_tool_error_the_model_can_fix(
    gateway: GatewayProcess, mint: MintFor
) -> None:
    async with mcp_client(gateway.url, mint(gateway, "alice")) as client:
        result = await client.call_tool("find_tools", {"query": "echo", "limit": 0})
        many = await found(client, "tool", limit=500)
    assert result.is_error
    assert len(many) <= 50
