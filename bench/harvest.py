"""Regenerate bench/discovery/catalogs/: the tool lists of real MCP servers published by others.

    python -m bench.harvest [--workdir /tmp/mcp-harvest] [--skip-install]

Installs each server at a pinned version (npm packages with npm, PyPI ones into a
virtualenv under the work directory), starts it over stdio with dummy credentials,
lists its tools with the official MCP client, and writes one JSON file per server.
The search benchmark reads only those files, so it needs none of the servers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

CATALOGS = Path(__file__).parent / "discovery" / "catalogs"
DUMMY = "dummy-credential-for-listing-tools"


@dataclass(frozen=True)
class Server:
    key: str
    registry: str  # "npm" or "pypi"
    package: str
    version: str
    executable: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    venv: str = "venv"  # PyPI servers built on the 1.x MCP SDK get a virtualenv of their own


SERVERS: tuple[Server, ...] = (
    Server("github", "npm", "@modelcontextprotocol/server-github", "2025.4.8", "mcp-server-github",
           env={"GITHUB_PERSONAL_ACCESS_TOKEN": DUMMY}),
    Server("gitlab", "npm", "@modelcontextprotocol/server-gitlab", "2025.4.25", "mcp-server-gitlab",
           env={"GITLAB_PERSONAL_ACCESS_TOKEN": DUMMY, "GITLAB_API_URL": "https://gitlab.invalid/api/v4"}),
    Server("slack", "npm", "@modelcontextprotocol/server-slack", "2025.4.25", "mcp-server-slack",
           env={"SLACK_BOT_TOKEN": DUMMY, "SLACK_TEAM_ID": "T00000000"}),
    Server("filesystem", "npm", "@modelcontextprotocol/server-filesystem", "2026.8.31",
           "mcp-server-filesystem", args=("{workdir}",)),
    Server("memory", "npm", "@modelcontextprotocol/server-memory", "2026.8.31", "mcp-server-memory",
           env={"MEMORY_FILE_PATH": "{workdir}/memory.json"}),
    Server("postgres", "npm", "@modelcontextprotocol/server-postgres", "0.6.2", "mcp-server-postgres",
           args=("postgresql://127.0.0.1:1/none",)),
    Server("everything", "npm", "@modelcontextprotocol/server-everything", "2026.8.31",
           "mcp-server-everything", args=("stdio",)),
    Server("brave", "npm", "@modelcontextprotocol/server-brave-search", "0.6.2", "mcp-server-brave-search",
           env={"BRAVE_API_KEY": DUMMY}),
    Server("puppeteer", "npm", "@modelcontextprotocol/server-puppeteer", "2025.5.12",
           "mcp-server-puppeteer"),
    Server("maps", "npm", "@modelcontextprotocol/server-google-maps", "0.6.2", "mcp-server-google-maps",
           env={"GOOGLE_MAPS_API_KEY": DUMMY}),
    Server("thinking", "npm", "@modelcontextprotocol/server-sequential-thinking", "2026.8.31",
           "mcp-server-sequential-thinking"),
    Server("redis", "npm", "@modelcontextprotocol/server-redis", "2025.4.25", "mcp-server-redis",
           args=("redis://127.0.0.1:6379",)),
    Server("git", "pypi", "mcp-server-git", "2026.10.19", "mcp-server-git"),
    Server("time", "pypi", "mcp-server-time", "2026.10.19", "mcp-server-time"),
    Server("fetch", "pypi", "mcp-server-fetch", "2026.10.24", "mcp-server-fetch"),
    Server("sqlite", "pypi", "mcp-server-sqlite", "2025.4.25", "mcp-server-sqlite",
           args=("--db-path", "{workdir}/bench.db"), venv="venv1"),
    Server("sentry", "pypi", "mcp-server-sentry", "2025.1.14", "mcp-server-sentry",
           args=("--auth-token", DUMMY), venv="venv1"),
)  # fmt: skip


def install(workdir: Path) -> None:
    npm = [f"{s.package}@{s.version}" for s in SERVERS if s.registry == "npm"]
    pypi: dict[str, list[str]] = {}
    for server in SERVERS:
        if server.registry == "pypi":
            pypi.setdefault(server.venv, []).append(f"{server.package}=={server.version}")
    workdir.mkdir(parents=True, exist_ok=True)
    # Listing tools never starts a browser; puppeteer's own download is not needed.
    env = {"PUPPETEER_SKIP_DOWNLOAD": "1", "PATH": _path()}
    subprocess.run(
        ["npm", "install", "--prefix", str(workdir), "--no-audit", "--no-fund", *npm], check=True, env=env
    )
    for venv, packages in pypi.items():
        subprocess.run([sys.executable, "-m", "venv", str(workdir / venv)], check=True)
        sdk = "mcp<2" if venv == "venv1" else "mcp>=2.3,<3"
        subprocess.run([str(workdir / venv / "bin/pip"), "install", "-q", sdk, *packages], check=True)


def _path() -> str:
    return os.environ.get("PATH", "/usr/bin:/bin")


def executable(server: Server, workdir: Path) -> str:
    if server.registry == "npm":
        return str(workdir / "node_modules/.bin" / server.executable)
    return str(workdir / server.venv / "bin" / server.executable)


async def list_tools(server: Server, workdir: Path) -> list[dict[str, Any]]:
    fill = {"workdir": str(workdir)}
    params = StdioServerParameters(
        command=executable(server, workdir),
        args=[arg.format(**fill) for arg in server.args],
        env={"PATH": _path(), **{k: v.format(**fill) for k, v in server.env.items()}},
        cwd=str(workdir),
    )
    tools: list[dict[str, Any]] = []
    with anyio.fail_after(60):
        async with Client(params, mode="legacy") as client:
            cursor: str | None = None
            while True:
                page = await client.list_tools(cursor=cursor) if cursor else await client.list_tools()
                tools.extend(
                    tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in page.tools
                )
                cursor = page.next_cursor
                if not cursor:
                    break
    return tools


async def harvest(workdir: Path) -> None:
    CATALOGS.mkdir(exist_ok=True)
    for server in SERVERS:
        tools = await list_tools(server, workdir)
        document = {
            "server": server.key,
            "package": server.package,
            "version": server.version,
            "tools": tools,
        }
        path = CATALOGS / f"{server.key}.json"
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{server.key}: {len(tools)} tools from {server.package} {server.version}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "mcp-harvest")
    parser.add_argument("--skip-install", action="store_true", help="reuse what the work directory holds")
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    if not args.skip_install:
        install(workdir)
    anyio.run(harvest, workdir)


if __name__ == "__main__":
    main()
