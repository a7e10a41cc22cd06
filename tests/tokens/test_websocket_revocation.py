"""A WebSocket outlives no credential: the upgrade's token is checked again for every message,
so revoking a personal access token closes a connection that is already open."""

from __future__ import annotations

import json

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.tokens.conftest import PatGateway
from tests.tokens.test_api import create
from tests.tokens.wire import api

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}


async def test_revoking_the_token_closes_its_open_websocket_at_the_next_message(
    pat_gateway: PatGateway,
) -> None:
    created = create(pat_gateway, "alice", name="socket")
    url = pat_gateway.process.base_url.replace("http://", "ws://") + "/ws"
    headers = {"Authorization": f"Bearer {created['token']}"}
    async with connect(url, subprotocols=["mcp"], additional_headers=headers) as socket:  # type: ignore[list-item]
        await socket.send(json.dumps(INITIALIZE))
        assert "result" in json.loads(await socket.recv())
        revoked = await anyio.to_thread.run_sync(
            lambda: api("DELETE", f"{pat_gateway.api}/{created['id']}", pat_gateway.jwt("alice"))
        )
        assert revoked.status_code == 200
        await socket.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        with anyio.fail_after(20), pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
