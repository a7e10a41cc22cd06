"""The WebSocket endpoint: the TypeScript SDK's WebSocketClientTransport through the gateway,
and the handshake's rules (mcp subprotocol, bearer authentication before the upgrade, Origin)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.gateway.conftest import Mint
from tests.support.clients import mcp_client
from tests.support.gateway import GatewayProcess

CLIENT_TIMEOUT = 45.0


def _ws_url(gateway: GatewayProcess) -> str:
    return gateway.base_url.replace("http://", "ws://") + "/ws"


def _run_ts_client(node_clients: Path, url: str, token: str, *call: str) -> dict[str, Any]:
    completed = subprocess.run(
        ["node", "ws_client.mjs", url, token, *call],
        cwd=node_clients,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


async def _streamable_view(gateway: GatewayProcess, token: str) -> dict[str, list[str]]:
    async with mcp_client(gateway.url, token) as client:
        tools = await client.list_tools()
        prompts = await client.list_prompts()
        resources = await client.list_resources()
    return {
        "tools": sorted(tool.name for tool in tools.tools),
        "prompts": sorted(prompt.name for prompt in prompts.prompts),
        "resources": sorted(str(resource.uri) for resource in resources.resources),
    }


@pytest.mark.parametrize("user", ["alice", "bob"])
async def test_typescript_client_over_websocket_sees_and_uses_exactly_its_view(
    gateway: GatewayProcess, mint: Mint, node_clients: Path, user: str
) -> None:
    token = mint(user)
    args = json.dumps({"a": 2, "b": 3})
    seen = _run_ts_client(node_clients, _ws_url(gateway), token, "demo__add", args, "web__delete_record")
    expected = await _streamable_view(gateway, token)
    assert {key: seen[key] for key in ("tools", "prompts", "resources")} == expected
    assert "5" in seen["result"]["content"][0]["text"]
    if user == "bob":
        assert "web__delete_record" not in seen["tools"]
        assert seen["denied"] == seen["missing"] == -32602


async def test_upgrade_without_a_token_gets_401_with_the_challenge_before_upgrading(
    gateway: GatewayProcess,
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(_ws_url(gateway), subprotocols=["mcp"]):  # type: ignore[list-item]
            pass
    response = refused.value.response
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer resource_metadata=")


async def test_upgrade_with_an_invalid_token_gets_401(gateway: GatewayProcess) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(_ws_url(gateway), subprotocols=["mcp"], additional_headers=headers):  # type: ignore[list-item]
            pass
    assert refused.value.response.status_code == 401
    assert 'error="invalid_token"' in refused.value.response.headers["WWW-Authenticate"]


async def test_upgrade_without_the_mcp_subprotocol_is_refused(gateway: GatewayProcess, mint: Mint) -> None:
    headers = {"Authorization": f"Bearer {mint('alice')}"}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(_ws_url(gateway), additional_headers=headers):
            pass
    assert refused.value.response.status_code == 400


async def test_upgrade_from_a_foreign_origin_is_refused(gateway: GatewayProcess, mint: Mint) -> None:
    headers = {"Authorization": f"Bearer {mint('alice')}"}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            _ws_url(gateway),
            subprotocols=["mcp"],  # type: ignore[list-item]
            additional_headers=headers,
            origin="https://evil.example",  # type: ignore[arg-type]
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_one_session_per_connection_answers_over_raw_frames(
    gateway: GatewayProcess, mint: Mint
) -> None:
    headers = {"Authorization": f"Bearer {mint('bob')}"}
    async with connect(_ws_url(gateway), subprotocols=["mcp"], additional_headers=headers) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == "mcp"
        await socket.send(json.dumps({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}))
        before_initialize = json.loads(await socket.recv())
        await socket.send("{not json")
        unparsable = json.loads(await socket.recv())
    assert before_initialize["id"] == 7
    assert before_initialize["error"]["code"] == -32600
    assert unparsable["error"]["code"] == -32700


async def test_a_sampling_request_is_relayed_on_the_socket_and_answered_while_the_call_waits(
    gateway: GatewayProcess, mint: Mint
) -> None:
    headers = {"Authorization": f"Bearer {mint('alice')}"}
    initialize = {
        "protocolVersion": "2025-11-25",
        "capabilities": {"sampling": {}},
        "clientInfo": {"name": "raw", "version": "1"},
    }
    async with connect(_ws_url(gateway), subprotocols=["mcp"], additional_headers=headers) as socket:  # type: ignore[list-item]
        await socket.send(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize})
        )
        assert "result" in json.loads(await socket.recv())
        await socket.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        call = {"name": "web__ask_model", "arguments": {"question": "meaning of life?"}}
        await socket.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call}))
        with anyio.fail_after(30):
            asked = await _next_frame(socket, lambda frame: frame.get("method") == "sampling/createMessage")
            answer = {"role": "assistant", "content": {"type": "text", "text": "forty-two"}, "model": "test"}
            await socket.send(json.dumps({"jsonrpc": "2.0", "id": asked["id"], "result": answer}))
            reply = await _next_frame(socket, lambda frame: frame.get("id") == 2)
    assert reply["id"] == 2
    assert "forty-two" in reply["result"]["content"][0]["text"]


async def _next_frame(socket: ClientConnection, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The next message `wanted` selects, past notifications (progress, logs) sent meanwhile."""
    while True:
        frame: dict[str, Any] = json.loads(await socket.recv())
        if wanted(frame):
            return frame
