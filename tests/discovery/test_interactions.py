"""call_tool relays what tools/call relays: the upstream's questions reach the client and back,
as server->client requests (2025-11-25) or MRTR input_required rounds (2026-07-28)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from mcp.client import ClientRequestContext
from mcp_types import CreateMessageRequestParams, CreateMessageResult, ElicitResult, TextContent

from tests.support.clients import mcp_client
from tests.support.gateway import GatewayProcess

MintFor = Callable[[GatewayProcess, str], str]
CELLS = [(era, upstream) for era in ("legacy", "2026-07-28") for upstream in ("demo", "web")]


@pytest.mark.parametrize(("era", "upstream"), CELLS)
async def test_an_elicitation_through_call_tool_reaches_the_client_and_back(
    gateway: GatewayProcess, mint: MintFor, era: str, upstream: str
) -> None:
    async def elicit(context: ClientRequestContext, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={"confirm": True})

    async with mcp_client(
        gateway.url, mint(gateway, "alice"), mode=era, elicitation_callback=elicit
    ) as alice:
        with anyio.fail_after(20):
            result = await alice.call_tool(
                "call_tool", {"name": f"{upstream}__confirm_action", "arguments": {"action": "drop table"}}
            )
    assert isinstance(result.content[0], TextContent)
    assert json.loads(result.content[0].text) == {"action": "accept", "content": {"confirm": True}}


@pytest.mark.parametrize(("era", "upstream"), CELLS)
async def test_sampling_through_call_tool_reaches_the_client_and_back(
    gateway: GatewayProcess, mint: MintFor, era: str, upstream: str
) -> None:
    async def sample(
        context: ClientRequestContext, params: CreateMessageRequestParams
    ) -> CreateMessageResult:
        return CreateMessageResult(
            role="assistant", content=TextContent(type="text", text="forty-two"), model="m"
        )

    async with mcp_client(gateway.url, mint(gateway, "alice"), mode=era, sampling_callback=sample) as alice:
        with anyio.fail_after(20):
            result = await alice.call_tool(
                "call_tool", {"name": f"{upstream}__ask_model", "arguments": {"question": "meaning of life?"}}
            )
    assert result.content == [TextContent(type="text", text="forty-two")]
