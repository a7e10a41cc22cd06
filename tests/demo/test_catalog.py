from __future__ import annotations

import pytest
from mcp import MCPError
from mcp_types import (
    INVALID_PARAMS,
    PromptReference,
    ResourceTemplateReference,
    TextContent,
    TextResourceContents,
)

from tests.demo.clients import demo_client
from tests.support.gateway import HttpServers
from tests.support.upstreams import Transport

BUILTIN_TOOLS = {
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
RESOURCES = {"demo://docs/readme", "demo://docs/handbook", "demo://finance/payroll"}


async def test_server_identifies_itself_over_the_handshake_era(
    transport: Transport, servers: HttpServers
) -> None:
    async with demo_client(transport, servers=servers) as client:
        assert client.protocol_version == "2025-11-25"
        assert client.server_info is not None
        assert client.server_info.name == "authz-mcp-demo"
        assert client.instructions
        capabilities = client.server_capabilities
        assert capabilities.tools is not None
        assert capabilities.tools.list_changed is True
        assert capabilities.resources is not None
        assert capabilities.resources.subscribe is True
        assert capabilities.completions is not None


async def test_lists_tools_resources_templates_and_prompts(
    transport: Transport, servers: HttpServers
) -> None:
    async with demo_client(transport, servers=servers) as client:
        tools = await client.list_tools()
        resources = await client.list_resources()
        templates = await client.list_resource_templates()
        prompts = await client.list_prompts()

    assert {tool.name for tool in tools.tools} == BUILTIN_TOOLS
    assert {resource.uri for resource in resources.resources} == RESOURCES
    assert [template.uri_template for template in templates.resource_templates] == [
        "demo://users/{user_id}/profile"
    ]
    assert {prompt.name for prompt in prompts.prompts} == {"summarize", "incident_report"}
    assert tools.next_cursor is resources.next_cursor is templates.next_cursor is prompts.next_cursor is None


async def test_extra_tools_are_generated_and_callable(transport: Transport) -> None:
    async with demo_client(transport, "--extra-tools", "3") as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("tool_0002", {"value": "x"})

    assert {"tool_0000", "tool_0001", "tool_0002"} <= names
    assert result.content == [TextContent(type="text", text="tool_0002:x")]


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("echo", {"text": "hello"}, "hello"),
        ("add", {"a": 2, "b": 3}, "5"),
        ("delete_record", {"record_id": "r1"}, "deleted record r1"),
        ("search_docs", {"query": "handbook"}, "demo://docs/handbook"),
    ],
)
async def test_simple_tools_answer_with_text(tool: str, arguments: dict[str, object], expected: str) -> None:
    async with demo_client("stdio") as client:
        result = await client.call_tool(tool, arguments)

    assert result.is_error is False
    assert result.content == [TextContent(type="text", text=expected)]


async def test_invalid_arguments_are_a_tool_error() -> None:
    async with demo_client("stdio") as client:
        result = await client.call_tool("add", {"a": "not a number"})

    assert result.is_error is True


async def test_unknown_tool_is_invalid_params() -> None:
    async with demo_client("stdio") as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("no_such_tool", {})

    assert caught.value.code == INVALID_PARAMS


async def test_reads_static_and_templated_resources(transport: Transport, servers: HttpServers) -> None:
    async with demo_client(transport, servers=servers) as client:
        payroll = await client.read_resource("demo://finance/payroll")
        profile = await client.read_resource("demo://users/alice/profile")
        with pytest.raises(MCPError) as caught:
            await client.read_resource("demo://nowhere")

    assert isinstance(payroll.contents[0], TextResourceContents)
    assert payroll.contents[0].text.startswith("employee,salary")
    assert isinstance(profile.contents[0], TextResourceContents)
    assert '"user_id": "alice"' in profile.contents[0].text
    assert caught.value.code == INVALID_PARAMS


async def test_prompts_render_their_arguments(transport: Transport, servers: HttpServers) -> None:
    async with demo_client(transport, servers=servers) as client:
        report = await client.get_prompt("incident_report", {"service": "billing"})
        with pytest.raises(MCPError) as caught:
            await client.get_prompt("incident_report", {})

    content = report.messages[0].content
    assert isinstance(content, TextContent)
    assert "billing" in content.text
    assert caught.value.code == INVALID_PARAMS


async def test_completes_prompt_and_template_arguments(transport: Transport, servers: HttpServers) -> None:
    async with demo_client(transport, servers=servers) as client:
        services = await client.complete(
            PromptReference(name="incident_report"), {"name": "service", "value": "b"}
        )
        every_service = await client.complete(
            PromptReference(name="incident_report"), {"name": "service", "value": ""}
        )
        users = await client.complete(
            ResourceTemplateReference(uri="demo://users/{user_id}/profile"), {"name": "user_id", "value": "c"}
        )
        unknown = await client.complete(PromptReference(name="summarize"), {"name": "text", "value": "a"})

    assert services.completion.values == ["billing"]
    assert every_service.completion.values == ["api", "billing", "search"]
    assert users.completion.values == ["carol"]
    assert unknown.completion.values == []


async def test_forecast_is_stable_per_city_and_rotation_issues_a_key() -> None:
    async with demo_client("stdio") as client:
        first = await client.call_tool("get_forecast", {"city": "Paris"})
        second = await client.call_tool("get_forecast", {"city": "Paris"})
        rotated = await client.call_tool("rotate_credentials", {})

    assert first.content == second.content
    assert isinstance(first.content[0], TextContent)
    assert first.content[0].text.startswith("Paris: ")
    assert isinstance(rotated.content[0], TextContent)
    assert rotated.content[0].text.startswith("credentials rotated")
