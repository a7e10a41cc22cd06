"""Progress, server->client requests and notifications cross the gateway to the right client."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp.types import CreateMessageResult, ElicitResult, ListRootsResult, Root, TextContent

from tests.gateway.conftest import Mint
from tests.support.clients import call_outcome, mcp_client
from tests.support.gateway import GatewayProcess

UPSTREAMS = ["demo", "web"]


def _text(result: Any) -> str:
    return str(result.content[0].model_dump()["text"])


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_progress_notifications_reach_the_caller(
    gateway: GatewayProcess, mint: Mint, upstream: str
) -> None:
    seen: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    async with mcp_client(gateway.url, mint("alice")) as client:
        with anyio.fail_after(20):
            result = await client.call_tool(
                f"{upstream}__slow_task", {"steps": 3, "delay_ms": 10}, progress_callback=on_progress
            )
    assert not result.is_error
    assert seen == sorted(seen)
    assert len(seen) == 3


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_sampling_request_is_relayed_and_answered(
    gateway: GatewayProcess, mint: Mint, upstream: str
) -> None:
    asked: list[str] = []

    async def sample(context: Any, params: Any) -> CreateMessageResult:
        asked.append(params.messages[0].content.text)
        return CreateMessageResult(
            role="assistant", content=TextContent(type="text", text="forty-two"), model="test-model"
        )

    async with mcp_client(gateway.url, mint("alice"), sampling_callback=sample) as client:
        with anyio.fail_after(20):
            result = await client.call_tool(f"{upstream}__ask_model", {"question": "meaning of life?"})
    assert "forty-two" in _text(result)
    assert len(asked) == 1
    assert "meaning of life?" in asked[0]


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_roots_request_is_relayed(gateway: GatewayProcess, mint: Mint, upstream: str) -> None:
    async def roots(context: Any) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri="file:///work/project", name="project")])  # type: ignore[arg-type]

    async with mcp_client(gateway.url, mint("alice"), list_roots_callback=roots) as client:
        with anyio.fail_after(20):
            result = await client.call_tool(f"{upstream}__list_client_roots", {})
    assert "file:///work/project" in _text(result)


async def test_client_without_sampling_gets_an_error_not_a_hang(gateway: GatewayProcess, mint: Mint) -> None:
    async with mcp_client(gateway.url, mint("alice")) as client:
        with anyio.fail_after(20):
            outcome = await call_outcome(client.call_tool("web__ask_model", {"question": "anyone?"}))
    assert outcome != "ok"


@pytest.mark.parametrize("upstream", UPSTREAMS)
async def test_elicitation_request_is_relayed_and_answered(
    gateway: GatewayProcess, mint: Mint, upstream: str
) -> None:
    async def elicit(context: Any, params: Any) -> ElicitResult:
        return ElicitResult(action="accept", content={"confirm": True})

    async with mcp_client(gateway.url, mint("alice"), elicitation_callback=elicit) as client:
        with anyio.fail_after(20):
            result = await client.call_tool(f"{upstream}__confirm_action", {"action": "drop table"})
    assert json.loads(_text(result)) == {"action": "accept", "content": {"confirm": True}}
