"""The benchmark's peer: a FastMCP proxy in front of the same upstream, tuned as its documentation
suggests (one shared, already connected upstream client; the legacy era to the upstream; JWT
verification against the same issuer). Run by the interpreter of its own environment (peer.py).

    python fastmcp_proxy.py UPSTREAM_URL PORT ISSUER_URL AUDIENCE
"""

from __future__ import annotations

import asyncio
import sys

from fastmcp import Client
from fastmcp.server import create_proxy
from fastmcp.server.auth.providers.jwt import JWTVerifier


async def serve(upstream_url: str, port: int, issuer_url: str, audience: str) -> None:
    verifier = JWTVerifier(
        jwks_uri=f"{issuer_url}/jwks.json", issuer=issuer_url, audience=audience, algorithm="RS256"
    )
    async with Client(upstream_url, mode="legacy") as upstream:
        proxy = create_proxy(upstream, name="fastmcp-proxy", auth=verifier)
        await proxy.run_http_async(
            show_banner=False, transport="http", host="127.0.0.1", port=port, log_level="warning"
        )


if __name__ == "__main__":
    url, port, issuer, audience = sys.argv[1:5]
    asyncio.run(serve(url, int(port), issuer, audience))
