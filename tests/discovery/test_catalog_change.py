"""Search results follow an upstream's list change, and the SSE transport serves search mode too."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import mcp_types as types
from mcp import Client
from mcp.client import IncomingMessage

from tests.support.clients import mcp_client, mcp_sse_client
from tests.support.gateway import GatewayProcess

MintFor = Callable[[GatewayProcess, str], str]
NOTIFICATION_TIMEOUT = 20


async def _found(client: Client, query: str) -> set[str]:
    result = await client.call_tool("find_tools", {"query": query, "limit": 10})
    assert result.structured_content is not None
    return {tool["name"] for tool in result.structured_content["tools"]}


async def test_a_tool_an_upstream_adds_at_runtime_is_found_once_its_list_changes(
    gateway: GatewayProcess, mint: MintFor
) -> None:
    changed = anyio.Event()

    async def on_message(message: IncomingMessage) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    async with mcp_client(gateway.url, mint(gateway, "alice"), message_handler=on_message) as alice:
        assert "web__zebra_counter" not in await _found(alice, "zebra counter")
        added = await alice.call_tool(
            "call_tool", {"name": "web__add_dynamic_tool", "arguments": {"name": "zebra_counter"}}
        )
        assert not added.is_error
        # The gateway tells a client only after the refreshed catalog is in place.
        with anyio.fail_after(NOTIFICATION_TIMEOUT):
            await changed.wait()
        assert "web__zebra_counter" in await _found(alice, "zebra counter")
        ran = await alice.call_tool("call_tool", {"name": "web__zebra_counter", "arguments": {"value": "7"}})
    assert ran.content[0].model_dump()["text"] == "zebra_counter:7"


async def test_search_mode_over_the_sse_transport(gateway: GatewayProcess, mint: MintFor) -> None:
    async with mcp_sse_client(f"{gateway.base_url}/sse", mint(gateway, "bob")) as bob:
        assert [tool.name for tool in (await bob.list_tools()).tools] == ["find_tools", "call_tool"]
        assert "web__echo" in await _found(bob, "echo my text back")
        echoed = await bob.call_tool("call_tool", {"name": "web__echo", "arguments": {"text": "over sse"}})
    assert "over sse" in echoed.content[0].model_dump()["text"]
