"""A reverse proxy that adds `Authorization: Bearer <token>` to every request, so a client
that cannot send credentials (the conformance suite) can reach the gateway.

    python -m tests.conformance.bearer_proxy --target http://127.0.0.1:8080 --token-file PATH

Prints ``READY http://127.0.0.1:<port>`` once it accepts connections. Everything else
(method, path, query, Host, Origin, body, the streamed response) passes unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

# RFC 9110 §7.6.1: connection-specific fields are not forwarded.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)


def build_app(target: str, token: str) -> Starlette:
    client = httpx.AsyncClient(base_url=target, timeout=httpx.Timeout(30.0, read=None), trust_env=False)

    async def forward(request: Request) -> Response:
        headers = [(k, v) for k, v in request.headers.items() if k not in HOP_BY_HOP and k != "authorization"]
        headers.append(("authorization", f"Bearer {token}"))
        upstream = client.build_request(
            request.method,
            request.url.path,
            params=request.url.query,
            headers=headers,
            content=await request.body(),
        )
        response = await client.send(upstream, stream=True)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in response.aiter_raw():
                yield chunk

        kept = {k: v for k, v in response.headers.items() if k not in HOP_BY_HOP}
        return StreamingResponse(
            body(), status_code=response.status_code, headers=kept, background=BackgroundTask(response.aclose)
        )

    methods = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


class _Announcing(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(f"READY {self._url}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--token-file", required=True, type=Path)
    args = parser.parse_args()
    token = args.token_file.read_text(encoding="utf-8").strip()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(build_app(args.target, token), log_level="warning", access_log=False)
    asyncio.run(_Announcing(config, f"http://127.0.0.1:{port}").serve(sockets=[sock]))


if __name__ == "__main__":
    main()
