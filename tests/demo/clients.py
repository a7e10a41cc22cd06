"""An SDK client connected, over the handshake era, to a fresh demo server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client

from tests.support.upstreams import Transport, demo_upstream


@asynccontextmanager
async def demo_client(
    transport: Transport, *server_args: str, **client_options: Any
) -> AsyncIterator[Client]:
    async with (
        demo_upstream(transport, *server_args) as target,
        Client(target, mode="legacy", **client_options) as client,
    ):
        yield client
