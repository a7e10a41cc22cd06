"""Per-user discovery and use through the gateway, with the official SDK client."""

from __future__ import annotations

import pytest
from mcp.shared.exceptions import MCPError

from tests.gateway.conftest import Mint
from tests.support.clients import mcp_client
from tests.support.gateway import GatewayProcess

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


async def _names(gateway: GatewayProcess, token: str) -> dict[str, set[str]]:
    async with mcp_client(gateway.url, token) as client:
        tools = await client.list_tools()
        prompts = await client.list_prompts()
        resources = await client.list_resources()
        templates = await client.list_resource_templates()
    return {
        "tools": {tool.name for tool in tools.tools},
        "prompts": {prompt.name for prompt in prompts.prompts},
        "resources": {str(resource.uri) for resource in resources.resources},
        "templates": {template.uri_template for template in templates.resource_templates},
    }


async def test_two_users_discover_different_tools_prompts_resources_and_templates(
    gateway: GatewayProcess, mint: Mint
) -> None:
    alice = await _names(gateway, mint("alice"))
    bob = await _names(gateway, mint("bob"))

    assert {f"web__{name}" for name in WEB_TOOLS} <= alice["tools"]
    assert "demo__delete_record" in alice["tools"]
    assert bob["tools"] == {
        "demo__echo",
        "demo__add",
        "demo__slow_task",
        "demo__ask_model",
        "demo__list_client_roots",
    } | {f"web__{name}" for name in WEB_TOOLS - {"delete_record", "rotate_credentials"}}
    assert alice["prompts"] == {"demo__summarize", "demo__incident_report"}
    assert bob["prompts"] == {"demo__summarize"}
    assert "demo://finance/payroll" in alice["resources"]
    assert bob["resources"] == {"demo://docs/readme", "demo://docs/handbook"}
    assert alice["templates"] == {"demo://users/{user_id}/profile"}
    assert bob["templates"] == set()


async def test_groups_from_the_token_grant_their_roles(gateway: GatewayProcess, mint: Mint) -> None:
    carol = await _names(gateway, mint("carol", groups=["finance"]))
    assert carol["resources"] == {"demo://finance/payroll"}
    assert carol["templates"] == {"demo://users/{user_id}/profile"}
    assert carol["tools"] == set()


async def test_each_user_can_call_only_their_own_tools(gateway: GatewayProcess, mint: Mint) -> None:
    async with mcp_client(gateway.url, mint("alice")) as alice:
        result = await alice.call_tool("demo__delete_record", {"record_id": "7"})
        assert not result.is_error
    async with mcp_client(gateway.url, mint("bob")) as bob:
        echoed = await bob.call_tool("web__echo", {"text": "hi bob"})
        assert "hi bob" in echoed.content[0].model_dump()["text"]
        for name in ("demo__delete_record", "web__delete_record"):
            with pytest.raises(MCPError) as denied:
                await bob.call_tool(name, {"record_id": "7"})
            assert denied.value.error.code == -32602


async def test_denied_items_answer_exactly_like_missing_ones(gateway: GatewayProcess, mint: Mint) -> None:
    async with mcp_client(gateway.url, mint("bob")) as bob:
        answers = []
        for name in ("demo__rotate_credentials", "demo__no_such_tool"):
            with pytest.raises(MCPError) as caught:
                await bob.call_tool(name, {})
            answers.append((caught.value.error.code, caught.value.error.message.replace(name, "<name>")))
        assert answers[0] == answers[1]

        prompt_answers = []
        for name in ("demo__incident_report", "demo__no_such_prompt"):
            with pytest.raises(MCPError) as caught:
                await bob.get_prompt(name, {"service": "api"})
            prompt_answers.append(
                (caught.value.error.code, caught.value.error.message.replace(name, "<name>"))
            )
        assert prompt_answers[0] == prompt_answers[1]

        resource_answers = []
        for uri in ("demo://finance/payroll", "demo://finance/no-such"):
            with pytest.raises(MCPError) as caught:
                await bob.read_resource(uri)
            error = caught.value.error
            resource_answers.append((error.code, error.message, error.data))
        assert resource_answers[0][:2] == resource_answers[1][:2]
        assert resource_answers[0][0] == -32002

    reasons = {
        (line["item"], line["decision"]): line["reason"]
        for line in gateway.audit()
        if line["user"] == "bob" and line["method"] in ("tools/call", "resources/read")
    }
    assert reasons[("demo__no_such_tool", "deny")] == "no such item"
    assert reasons[("demo__rotate_credentials", "deny")] != "no such item"
    assert reasons[("demo://finance/payroll", "deny")] != "no such item"


async def test_resources_prompts_and_templates_are_authorized_on_use(
    gateway: GatewayProcess, mint: Mint
) -> None:
    async with mcp_client(gateway.url, mint("carol", groups=["finance"])) as carol:
        payroll = await carol.read_resource("demo://finance/payroll")
        assert payroll.contents
        profile = await carol.read_resource("demo://users/7/profile")
        assert "7" in profile.contents[0].model_dump()["text"]
        prompt = await carol.get_prompt("demo__incident_report", {"service": "billing"})
        assert prompt.messages
        with pytest.raises(MCPError):
            await carol.read_resource("demo://docs/readme")


async def test_completion_is_authorized_by_its_reference(gateway: GatewayProcess, mint: Mint) -> None:
    from mcp.types import PromptReference

    async with mcp_client(gateway.url, mint("carol", groups=["finance"])) as carol:
        completion = await carol.complete(
            PromptReference(type="ref/prompt", name="demo__incident_report"),
            {"name": "service", "value": "b"},
        )
        assert "billing" in completion.completion.values
    async with mcp_client(gateway.url, mint("bob")) as bob:
        with pytest.raises(MCPError) as denied:
            await bob.complete(
                PromptReference(type="ref/prompt", name="demo__incident_report"),
                {"name": "service", "value": "b"},
            )
        assert denied.value.error.code == -32602


async def test_auto_mode_clients_fall_back_to_the_handshake(gateway: GatewayProcess, mint: Mint) -> None:
    async with mcp_client(gateway.url, mint("bob"), mode="auto") as bob:
        tools = await bob.list_tools()
    assert "demo__echo" in {tool.name for tool in tools.tools}
