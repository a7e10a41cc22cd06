"""An SDK client connected, over the handshake era, to a demo server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.support.gateway import HttpServers
from tests.support.upstreams import DEMO_MODULE, Transport, demo_upstream


@asynccontextmanager
async def demo_client(
    transport: Transport, *server_args: str, servers: HttpServers | None = None, **client_options: Any
) -> AsyncIterator[Client]:
    """A fresh demo server; over HTTP, the module's shared one when `servers` is given (for a
    test that changes nothing the demo keeps: its tools, subscriptions)."""
    async with contextlib.AsyncExitStack() as stack:
        if transport == "http" and servers is not None:
            target: str | StdioServerParameters = servers.url(DEMO_MODULE, *server_args)
        else:
            target = await stack.enter_async_context(demo_upstream(transport, *server_args))
        yield await stack.enter_async_context(Client(target, mode="legacy", **client_options))
