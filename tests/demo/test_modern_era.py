"""The same server speaks 2026-07-28 to a client that negotiates it (mode="auto")."""

from __future__ import annotations

import mcp_types as types
from mcp import Client
from mcp.client import ClientRequestContext
from mcp_types import TextContent

from tests.support.upstreams import Transport, demo_upstream


async def sample(
    context: ClientRequestContext, params: types.CreateMessageRequestParams
) -> types.CreateMessageResult:
    return types.CreateMessageResult(
        role="assistant", content=TextContent(type="text", text="modern"), model="test"
    )


async def test_modern_client_gets_input_required_round_trips_and_pages(transport: Transport) -> None:
    async with (
        demo_upstream(transport, "--page-size", "5") as target,
        Client(target, mode="auto", sampling_callback=sample) as client,
    ):
        first_page = await client.list_tools()
        echoed = await client.call_tool("echo", {"text": "hi"})
        # No back-channel at 2026-07-28: ask_model answers InputRequiredResult, the SDK client
        # runs the sampling callback and retries with inputResponses.
        sampled = await client.call_tool("ask_model", {"question": "era?"})

        assert client.protocol_version == "2026-07-28"
    assert len(first_page.tools) == 5
    assert first_page.next_cursor is not None
    assert echoed.content == [TextContent(type="text", text="hi")]
    assert sampled.content == [TextContent(type="text", text="modern")]


async def test_legacy_only_server_makes_an_auto_client_fall_back_to_the_handshake(
    transport: Transport,
) -> None:
    async with (
        demo_upstream(transport, "--legacy-only") as target,
        Client(target, mode="auto", sampling_callback=sample) as client,
    ):
        sampled = await client.call_tool("ask_model", {"question": "era?"})

        assert client.protocol_version == "2025-11-25"
    assert sampled.content == [TextContent(type="text", text="modern")]
