"""The HTTP wire shapes a gateway in front of the demo server depends on, pinned with raw requests."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.raw import ACCEPT as BOTH
from tests.support.raw import INITIALIZE
from tests.support.upstreams import http_demo_server

MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def sse_payloads(body: str) -> list[dict[str, Any]]:
    return [json.loads(line.removeprefix("data:")) for line in body.splitlines() if line.startswith("data:")]


async def test_handshake_era_replies_stream_as_sse_within_a_session() -> None:
    async with http_demo_server() as url, httpx.AsyncClient(headers={"Accept": BOTH}) as http:
        init = await http.post(url, json=INITIALIZE)
        session = {"Mcp-Session-Id": init.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-11-25"}
        initialized = await http.post(
            url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session
        )
        listed = await http.post(
            url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=session
        )

    assert init.status_code == 200
    assert init.headers["content-type"].startswith("text/event-stream")
    assert sse_payloads(init.text)[0]["result"]["serverInfo"]["name"] == "authz-mcp-demo"
    assert initialized.status_code == 202
    assert listed.headers["content-type"].startswith("text/event-stream")
    assert "echo" in {tool["name"] for tool in sse_payloads(listed.text)[0]["result"]["tools"]}


async def test_json_response_mode_replies_with_plain_json() -> None:
    async with (
        http_demo_server("--json-response") as url,
        httpx.AsyncClient(headers={"Accept": BOTH}) as http,
    ):
        init = await http.post(url, json=INITIALIZE)

    assert init.headers["content-type"].startswith("application/json")
    assert init.json()["result"]["protocolVersion"] == "2025-11-25"


async def test_unknown_session_is_404_and_json_only_accept_is_406() -> None:
    tools_list = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    async with http_demo_server() as url, httpx.AsyncClient() as http:
        await http.post(url, json=INITIALIZE, headers={"Accept": BOTH})
        unknown = await http.post(url, json=tools_list, headers={"Accept": BOTH, "Mcp-Session-Id": "nope"})
        json_only = await http.post(url, json=INITIALIZE, headers={"Accept": "application/json"})

    assert unknown.status_code == 404
    assert json_only.status_code == 406


async def test_modern_era_is_sessionless_json_with_method_headers() -> None:
    headers = {
        "Accept": BOTH,
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": "echo",
    }
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "hi"}, "_meta": MODERN_META},
    }
    async with http_demo_server() as url, httpx.AsyncClient() as http:
        reply = await http.post(url, json=call, headers=headers)

    assert reply.status_code == 200
    assert "mcp-session-id" not in reply.headers
    assert reply.json()["result"]["content"] == [{"type": "text", "text": "hi"}]
