"""The official MCP SDK client, connected to a gateway with a bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult


@asynccontextmanager
async def mcp_client(url: str, token: str, *, mode: str = "legacy", **options: Any) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0)) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, **options) as client,
    ):
        yield client


@asynccontextmanager
async def mcp_sse_client(url: str, token: str, **options: Any) -> AsyncIterator[Client]:
    """The SDK client over the 2024-11-05 HTTP+SSE transport; `url` is the SSE endpoint."""
    headers = {"Authorization": f"Bearer {token}"}
    async with Client(sse_client(url, headers=headers, timeout=30.0), mode="legacy", **options) as client:
        yield client


async def call_outcome(call: Awaitable[CallToolResult]) -> str | int:
    """'ok' or 'tool error' for a tool result; the JSON-RPC code for an error reply."""
    try:
        result = await call
    except MCPError as exc:
        return exc.error.code
    return "tool error" if result.is_error else "ok"
