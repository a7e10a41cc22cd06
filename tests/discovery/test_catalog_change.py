"""Search results follow an upstream's list change; the SSE and WebSocket transports serve
search mode as /mcp does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client
from mcp.client import IncomingMessage
from websockets.asyncio.client import ClientConnection, connect

from tests.discovery.conftest import discovery_gateway
from tests.support.clients import mcp_client, mcp_sse_client
from tests.support.gateway import GatewayProcess, running_demo_http
from tests.support.issuer import RunningIssuer

MintFor = Callable[[GatewayProcess, str], str]
NOTIFICATION_TIMEOUT = 20


@pytest.fixture(scope="module")
def gateway(issuer: RunningIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayProcess]:
    """A search gateway and `web` upstream of the module's own: a test here adds a tool to `web`,
    which the folder's other modules must not see."""
    with running_demo_http("--page-size", "2") as web:
        yield from discovery_gateway(issuer, web.url, tmp_path_factory.mktemp("search"), mode="search")


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


async def _rpc(
    socket: ClientConnection, request_id: int, method: str, params: dict[str, Any]
) -> dict[str, Any]:
    await socket.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
    with anyio.fail_after(20):
        while True:
            message: dict[str, Any] = json.loads(await socket.recv())
            if message.get("id") == request_id:
                return message


async def test_search_mode_over_the_websocket_transport(gateway: GatewayProcess, mint: MintFor) -> None:
    url = gateway.base_url.replace("http://", "ws://") + "/ws"
    headers = {"Authorization": f"Bearer {mint(gateway, 'bob')}"}
    initialize = {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "ws", "version": "1"},
    }
    async with connect(url, subprotocols=["mcp"], additional_headers=headers) as socket:  # type: ignore[list-item]
        await _rpc(socket, 1, "initialize", initialize)
        await socket.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        listed = await _rpc(socket, 2, "tools/list", {})
        found = await _rpc(
            socket, 3, "tools/call", {"name": "find_tools", "arguments": {"query": "echo text"}}
        )
        hidden = {"name": "web__delete_record", "arguments": {"record_id": "1"}}
        wrapped = await _rpc(socket, 4, "tools/call", {"name": "call_tool", "arguments": hidden})
        direct = await _rpc(socket, 5, "tools/call", hidden)
    assert [tool["name"] for tool in listed["result"]["tools"]] == ["find_tools", "call_tool"]
    assert "web__echo" in {tool["name"] for tool in found["result"]["structuredContent"]["tools"]}
    assert wrapped["error"] == direct["error"]
    assert wrapped["error"]["code"] == -32602
