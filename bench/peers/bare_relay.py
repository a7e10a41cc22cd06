"""The floor: a relay that does nothing but pass each request on, built from the parts the gateway
is served by (uvicorn with httptools and uvloop in front, one pooled aiohttp client behind). No
authentication, policy, session, audit, log or metric: what is left of the gateway's CPU per call
above this relay's is what those cost.

    python -m bench.peers.bare_relay UPSTREAM_URL PORT
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import uvicorn

# The request headers MCP needs on the upstream side, and the response headers it needs back.
_FORWARDED = (b"accept", b"content-type", b"mcp-session-id", b"mcp-protocol-version", b"last-event-id")
_RETURNED = ("content-type", "mcp-session-id")


class BareRelay:
    def __init__(self, upstream_url: str) -> None:
        self.upstream_url = upstream_url
        self._http: aiohttp.ClientSession | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if self._http is None:
            self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {name.decode(): value.decode() for name, value in scope["headers"] if name in _FORWARDED}
        async with self._http.request(
            scope["method"], self.upstream_url, data=bytes(body), headers=headers
        ) as reply:
            content = await reply.read()
            returned = [
                (name.encode(), reply.headers[name].encode()) for name in _RETURNED if name in reply.headers
            ]
            await send({"type": "http.response.start", "status": reply.status, "headers": returned})
            await send({"type": "http.response.body", "body": content})


if __name__ == "__main__":
    upstream_url, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(
        BareRelay(upstream_url),
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
    )
