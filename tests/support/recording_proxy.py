"""A real HTTP hop in front of an upstream that records the request headers it sees.

It forwards POSTs (buffering the reply, which ends with the JSON-RPC response) and
refuses GET streams with 405, which MCP Streamable HTTP allows a server to do.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.issuer import _wait_started

_STOP_TIMEOUT = 10.0
_HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


@dataclass
class RecordingProxy:
    url: str
    seen: list[dict[str, str]] = field(default_factory=list)
    """The headers of every POST, lower-cased names."""


@contextlib.contextmanager
def recording_proxy(target: str) -> Iterator[RecordingProxy]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    proxy = RecordingProxy(f"http://127.0.0.1:{port}/mcp")

    async def forward(request: Request) -> Response:
        if request.method != "POST":
            return Response(status_code=405, headers={"Allow": "POST"})
        headers = {k.lower(): v for k, v in request.headers.items()}
        proxy.seen.append(headers)
        async with httpx.AsyncClient(timeout=30) as http:
            reply = await http.post(
                target,
                content=await request.body(),
                headers={k: v for k, v in headers.items() if k not in _HOP_HEADERS},
            )
        kept = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_HEADERS}
        return Response(reply.content, status_code=reply.status_code, headers=kept)

    app = Starlette(routes=[Route("/mcp", forward, methods=["GET", "POST", "DELETE"])])
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield proxy
    finally:
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        sock.close()
