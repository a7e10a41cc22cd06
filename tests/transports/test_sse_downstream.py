"""2024-11-05 HTTP+SSE clients through the gateway: the Python SDK's `sse_client`, and the
transport's own rules (authentication on the stream and on every message, user-bound sessions)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
from mcp.types import CreateMessageResult, TextContent

from tests.gateway.conftest import Mint
from tests.support.clients import call_outcome, mcp_client, mcp_sse_client
from tests.support.gateway import GatewayProcess

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2024-11-05",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}


def _sse_url(gateway: GatewayProcess) -> str:
    return f"{gateway.base_url}/sse"


async def _view(client: Any) -> dict[str, list[str]]:
    tools = await client.list_tools()
    prompts = await client.list_prompts()
    resources = await client.list_resources()
    return {
        "tools": sorted(tool.name for tool in tools.tools),
        "prompts": sorted(prompt.name for prompt in prompts.prompts),
        "resources": sorted(str(resource.uri) for resource in resources.resources),
    }


@asynccontextmanager
async def _raw_stream(gateway: GatewayProcess, token: str) -> AsyncIterator[tuple[str, AsyncIterator[str]]]:
    """A raw SSE connection: the message URL from its `endpoint` event, and its data lines."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    async with (
        httpx.AsyncClient(timeout=30.0) as http,
        http.stream("GET", _sse_url(gateway), headers=headers) as response,
    ):
        assert response.status_code == 200
        lines = response.aiter_lines()
        event = ""
        async for line in lines:
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "endpoint":
                yield gateway.base_url + line.removeprefix("data: "), lines
                return
        raise AssertionError("no endpoint event")


async def _post(url: str, token: str | None, message: Any) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=30.0) as http:
        return await http.post(url, headers=headers, content=json.dumps(message))


async def test_sse_client_sees_the_same_view_as_on_streamable_http(
    gateway: GatewayProcess, mint: Mint
) -> None:
    views = {}
    for user in ("alice", "bob"):
        token = mint(user)
        async with mcp_sse_client(_sse_url(gateway), token) as client:
            views[user] = await _view(client)
        async with mcp_client(gateway.url, token) as client:
            assert views[user] == await _view(client)
    assert "web__delete_record" in views["alice"]["tools"]
    assert "web__delete_record" not in views["bob"]["tools"]
    assert views["bob"]["prompts"] == ["demo__summarize"]


async def test_sse_client_calls_a_permitted_tool_and_a_denied_one_answers_like_a_missing_one(
    gateway: GatewayProcess, mint: Mint
) -> None:
    async with mcp_sse_client(_sse_url(gateway), mint("bob")) as client:
        result = await client.call_tool("demo__add", {"a": 2, "b": 3})
        denied = await call_outcome(client.call_tool("web__delete_record", {"record_id": "1"}))
        missing = await call_outcome(client.call_tool("web__no_such_tool", {}))
    assert "5" in str(result.content[0].model_dump()["text"])
    assert denied == missing == -32602


async def test_sampling_request_is_relayed_over_the_sse_stream(gateway: GatewayProcess, mint: Mint) -> None:
    async def sample(context: Any, params: Any) -> CreateMessageResult:
        return CreateMessageResult(
            role="assistant", content=TextContent(type="text", text="forty-two"), model="test-model"
        )

    async with mcp_sse_client(_sse_url(gateway), mint("alice"), sampling_callback=sample) as client:
        with anyio.fail_after(20):
            result = await client.call_tool("web__ask_model", {"question": "meaning of life?"})
    assert "forty-two" in str(result.content[0].model_dump()["text"])


async def test_sse_stream_without_a_token_gets_401_with_the_bearer_challenge(gateway: GatewayProcess) -> None:
    async with httpx.AsyncClient(timeout=30.0) as http:
        response = await http.get(_sse_url(gateway), headers={"Accept": "text/event-stream"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer resource_metadata=")


async def test_every_message_post_is_authenticated(gateway: GatewayProcess, mint: Mint) -> None:
    async with _raw_stream(gateway, mint("alice")) as (message_url, _):
        response = await _post(message_url, None, INITIALIZE)
    assert response.status_code == 401
    assert "www-authenticate" in response.headers


async def test_another_users_token_on_a_message_url_answers_like_an_unknown_session(
    gateway: GatewayProcess, mint: Mint
) -> None:
    async with _raw_stream(gateway, mint("alice")) as (message_url, _):
        foreign = await _post(message_url, mint("bob"), INITIALIZE)
        unknown = await _post(f"{gateway.base_url}/messages?session_id=nonexistent", mint("bob"), INITIALIZE)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.content == unknown.content


async def test_replies_travel_on_the_stream_and_the_post_is_only_accepted(
    gateway: GatewayProcess, mint: Mint
) -> None:
    token = mint("bob")
    async with _raw_stream(gateway, token) as (message_url, lines):
        accepted = await _post(message_url, token, INITIALIZE)
        with anyio.fail_after(20):
            async for line in lines:
                if line.startswith("data: "):
                    reply = json.loads(line.removeprefix("data: "))
                    break
    assert accepted.status_code == 202
    assert reply["id"] == 1
    assert reply["result"]["protocolVersion"] == "2024-11-05"
