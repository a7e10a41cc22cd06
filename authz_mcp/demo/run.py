"""`authz-mcp demo`: a gateway ready to try, with a token per demo user.

It starts a development issuer (loopback only), the gateway in front of the
bundled example server (over stdio), and prints a token for each demo user.
With `--config` (the repository's `examples/demo/gateway.yaml`) everything comes
from that file and the issuer listens where its `auth.jwt.issuer` says; without,
the packaged policy is used on embedded defaults.
Nothing here is for production: the issuer's key lives in memory and dies
with the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn

from authz_mcp.auth.devissuer import DevIssuer, require_loopback
from authz_mcp.config import Config, load_config, parse_config
from authz_mcp.errors import ConfigError

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
    """The demo without a config file: the packaged policy, no personal tokens."""
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


def _issuer_address(config: Config, source: str) -> tuple[str, int]:
    """Where the development issuer must listen: the config's first `auth.jwt` issuer."""
    if not config.auth.jwt:
        raise ConfigError(f"{source}: auth.jwt: the demo needs an issuer to mint tokens for")
    parts = urlsplit(config.auth.jwt[0].issuer)
    try:
        require_loopback(parts.hostname or "")
    except ValueError as exc:
        raise ConfigError(f"{source}: auth.jwt.issuer: {exc}") from exc
    if parts.scheme != "http" or parts.port is None or parts.path.strip("/"):
        raise ConfigError(f"{source}: auth.jwt.issuer: the demo issuer needs http://<loopback>:<port>")
    return parts.hostname or "127.0.0.1", parts.port


def _shown_path(path: str) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(path).resolve().relative_to(Path.cwd()))
    return path


def _banner(config: Config, issuer: DevIssuer) -> str:
    url = config.server.mcp_url
    lines = [
        "",
        f"authz-mcp demo gateway: {url}",
        f"upstream 'demo' (bundled example server over stdio); policy: {_shown_path(config.policy.file)}",
        f"tokens below are valid for {TOKEN_LIFETIME // 60} minutes:",
        "",
    ]
    audience = config.audience_for(config.auth.jwt[0])
    for user, (role, groups) in DEMO_USERS.items():
        token = issuer.mint(user, audience=audience, groups=groups, expires_in=TOKEN_LIFETIME)
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


async def _run(config: Config, source: str) -> None:
    from authz_mcp.cli.preflight import require_clean
    from authz_mcp.cli.server import bind_listener, serve_until_stopped
    from authz_mcp.runtime import open_runtime

    require_clean(config, source)
    issuer_host, issuer_port = _issuer_address(config, source)
    # Both ports are taken before anything starts: a busy one is a single line, before
    # any token is printed.
    listener = bind_listener(config.server.host, config.server.port)
    issuer_listener = bind_listener(issuer_host, issuer_port)
    issuer = DevIssuer.generate(config.auth.jwt[0].issuer)
    issuer_server = issuer.server(issuer_host, issuer_port)
    issuer_task = asyncio.create_task(issuer_server.serve([issuer_listener]))
    try:
        async with open_runtime(config) as runtime:
            print(_banner(config, issuer), flush=True)
            server_config = uvicorn.Config(
                runtime.app,
                host=config.server.host,
                port=config.server.port,
                lifespan="off",
                log_config=None,
                access_log=False,
            )
            await serve_until_stopped(server_config, config.server.mcp_url, [listener])
    finally:
        issuer_server.should_exit = True
        await issuer_task


def run_demo(port: int | None = None, config_path: str | None = None) -> int:
    """The demo on `config_path` (its issuer started for it), or on the packaged policy."""
    from authz_mcp.cli.server import run

    if config_path is None:
        issuer_url = f"http://127.0.0.1:{_free_port()}"
        config = demo_config(port or 8080, issuer_url, Path(str(resources.files("authz_mcp.demo"))))
        source = "<demo>"
    else:
        config = load_config(config_path)
        source = config_path
        if port is not None:
            config = config.model_copy(update={"server": config.server.model_copy(update={"port": port})})
    run(_run(config, source))
    return 0
