"""In every cell a user discovers exactly what the policy lets them use, in the client's era."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.modern.conftest import MODERN, Cell

BOB_TOOLS = {
    f"demo__{name}"
    for name in ("echo", "slow_task", "ask_model", "confirm_action", "list_client_roots", "touch_resource")
}
USERS = {
    "bob": ([], BOB_TOOLS, {"demo__summarize"}, {"demo://docs/readme", "demo://docs/handbook"}, set()),
    "carol": (
        ["finance"],
        set(),
        {"demo__incident_report"},
        {"demo://finance/payroll"},
        {"demo://users/{user_id}/profile"},
    ),
}


async def _discovered(client: Client) -> tuple[set[str], set[str], set[str], set[str]]:
    tools = await client.list_tools()
    prompts = await client.list_prompts()
    resources = await client.list_resources()
    templates = await client.list_resource_templates()
    return (
        {tool.name for tool in tools.tools},
        {prompt.name for prompt in prompts.prompts},
        {str(resource.uri) for resource in resources.resources},
        {template.uri_template for template in templates.resource_templates},
    )


@pytest.mark.parametrize("user", sorted(USERS))
async def test_lists_hold_exactly_what_the_user_may_use(cell: Cell, user: str) -> None:
    groups, *expected = USERS[user]
    async with cell.client(user, groups=groups or None) as client:
        assert await _discovered(client) == tuple(expected)


async def test_both_client_eras_see_the_same_lists_for_one_user(cell: Cell) -> None:
    async with (
        cell.client("alice") as alice,
        cell.client("alice", mode="legacy" if cell.modern_client else MODERN) as other_era,
    ):
        assert await _discovered(alice) == await _discovered(other_era)


async def test_an_auto_negotiating_client_discovers_the_gateway_speaks_2026(modern_cell: Cell) -> None:
    async with modern_cell.client("bob", mode="auto") as bob:
        version = bob.protocol_version
        server = bob.server_info
        tools = {tool.name for tool in (await bob.list_tools()).tools}
    assert version == MODERN
    assert server is not None
    assert server.name == "authz-mcp"
    assert tools == BOB_TOOLS
