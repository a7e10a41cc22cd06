"""A minimal Streamable HTTP client for tests that need to see the wire."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx

ACCEPT = "application/json, text/event-stream"
INITIALIZE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}


def parse_sse(text: str) -> list[dict[str, Any]]:
    messages = []
    for event in text.split("\n\n"):
        data = [line[5:].strip() for line in event.splitlines() if line.startswith("data:")]
        if data:
            messages.append(json.loads("\n".join(data)))
    return messages


class RawSession:
    def __init__(self, http: httpx.AsyncClient, url: str, token: str) -> None:
        self.http = http
        self.url = url
        self.token = token
        self.session_id: str | None = None
        self._next_id = 0

    def headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Accept": ACCEPT,
            "Content-Type": "application/json",
        }
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
            headers["MCP-Protocol-Version"] = "2025-11-25"
        return headers

    async def initialize(self, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
        params = {
            "protocolVersion": "2025-11-25",
            "capabilities": capabilities or {},
            "clientInfo": {"name": "raw", "version": "1"},
        }
        response = await self.http.post(
            self.url,
            json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params},
            headers=self.headers(),
        )
        response.raise_for_status()
        self.session_id = response.headers["mcp-session-id"]
        await self.http.post(
            self.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=self.headers()
        )
        return dict(response.json()["result"])

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The final JSON-RPC response (SSE or JSON)."""
        self._next_id += 1
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            body["params"] = params
        response = await self.http.post(self.url, json=body, headers=self.headers())
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return parse_sse(response.text)[-1]
        return dict(response.json())

    @asynccontextmanager
    async def listen(self) -> AsyncIterator[anyio.abc.ObjectReceiveStream[dict[str, Any]]]:
        """The GET stream, open; yields a receive stream of its messages."""
        send, receive = anyio.create_memory_object_stream[dict[str, Any]](100)
        async with self.http.stream(
            "GET", self.url, headers={**self.headers(), "Accept": "text/event-stream"}
        ) as r:
            r.raise_for_status()

            async def pump() -> None:
                buffer = ""
                async for chunk in r.aiter_text():
                    buffer += chunk
                    while "\n\n" in buffer:
                        event, buffer = buffer.split("\n\n", 1)
                        for message in parse_sse(event + "\n\n"):
                            await send.send(message)

            async with anyio.create_task_group() as group:
                group.start_soon(pump)
                try:
                    yield receive
                finally:
                    group.cancel_scope.cancel()
