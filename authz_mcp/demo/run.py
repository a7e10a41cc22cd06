"""`authz-mcp demo`: a gateway on embedded defaults, ready to try.

It starts a development issuer (loopback only), the gateway in front of the
bundled example server (over stdio), and prints a token for each demo user.
Nothing here is for production: the issuer's key lives in memory and dies
with the process.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from importlib import resources
from pathlib import Path

import uvicorn

from authz_mcp.auth.devissuer import DevIssuer, require_loopback
from authz_mcp.config import Config, parse_config

DEMO_USERS = {
    "alice": ("admin: every tool, prompt and resource", ()),
    "bob": ("viewer: read-only tools and docs, no deletes", ()),
    "carol": ("finance group member: only the payroll resource", ("finance",)),
}
TOKEN_LIFETIME = 3600


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_config(port: int, issuer_url: str, policy_dir: Path) -> Config:
    return parse_config(
        {
            "server": {"host": "127.0.0.1", "port": port},
            "auth": {
                "authorization_servers": [issuer_url],
                "jwt": {"issuer": issuer_url, "jwks_url": f"{issuer_url}/jwks.json", "algorithms": ["RS256"]},
                "personal_tokens": False,
            },
            "policy": {"model": str(policy_dir / "model.conf"), "file": str(policy_dir / "policy.csv")},
            "upstreams": {
                "demo": {
                    "transport": "stdio",
                    "command": sys.executable,
                    "args": ["-m", "authz_mcp.demo.server", "stdio"],
                }
            },
        },
        source="<demo>",
    )


def _banner(config: Config, issuer: DevIssuer) -> str:
    url = config.server.mcp_url
    lines = [
        "",
        f"authz-mcp demo gateway: {url}",
        "upstream 'demo' (bundled example server over stdio); policy: authz_mcp/demo/policy.csv",
        f"tokens below are valid for {TOKEN_LIFETIME // 60} minutes:",
        "",
    ]
    for user, (role, groups) in DEMO_USERS.items():
        token = issuer.mint(user, audience=url, groups=groups, expires_in=TOKEN_LIFETIME)
        lines += [
            f"  {user} ({role}):",
            f"    token: {token}",
            f"    try:   {sys.executable} -m authz_mcp.demo.try_it {url} {token}",
            "",
        ]
    lines += [
        "MCP Inspector (npx @modelcontextprotocol/inspector): transport Streamable HTTP,",
        f"URL {url}, header 'Authorization: Bearer <token>'. Stop with Ctrl-C.",
        "",
    ]
    return "\n".join(lines)


async def _run(port: int) -> None:
    from authz_mcp.cli.serve import serve_until_stopped
    from authz_mcp.runtime import open_runtime

    issuer_port = _free_port()
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    require_loopback("127.0.0.1")
    issuer = DevIssuer.generate(issuer_url)
    issuer_server = issuer.server("127.0.0.1", issuer_port)
    issuer_task = asyncio.create_task(issuer_server.serve())
    policy_dir = Path(str(resources.files("authz_mcp.demo")))
    config = demo_config(port, issuer_url, policy_dir)
    try:
        async with open_runtime(config) as runtime:
            print(_banner(config, issuer), flush=True)
            server_config = uvicorn.Config(
                runtime.app,
                host="127.0.0.1",
                port=port,
                lifespan="off",
                log_config=None,
                access_log=False,
            )
            await serve_until_stopped(server_config, config.server.mcp_url)
    finally:
        issuer_server.should_exit = True
        await issuer_task


def run_demo(port: int = 8080) -> int:
    from authz_mcp.cli.serve import run

    run(_run(port))
    return 0
