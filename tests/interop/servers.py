"""Third-party MCP servers, pinned in tests/interop/node and tests/interop/requirements.txt.

Each server is described once, as a command line; the same description gives the SDK's
`StdioServerParameters` for a direct connection and the gateway's upstream config, so that the
two sides of a comparison run the very same program with the very same arguments.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mcp.client.stdio import StdioServerParameters

from tests.support.gateway import STOP_TIMEOUT, free_port

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / "node"
NODE_BIN = NODE_DIR / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 30.0


def require_tools() -> None:
    """Fail (in CI) or skip (elsewhere) when the pinned servers are not installed."""
    missing: list[str] = []
    if shutil.which("node") is None:
        missing.append("node (Node.js 20+)")
    if not (NODE_BIN / "mcp-server-everything").exists():
        missing.append("tests/interop/node/node_modules (npm ci --prefix tests/interop/node)")
    if not (VENV_BIN / "mcp-server-time").exists():
        missing.append("mcp-server-time (pip install -r tests/interop/requirements.txt)")
    if shutil.which("git") is None:
        missing.append("git")
    if missing:
        message = "interop servers not installed (scripts/test installs them): " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@dataclass(frozen=True)
class StdioServer:
    """A server spoken to over stdio."""

    command: str
    args: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)

    def params(self) -> StdioServerParameters:
        return StdioServerParameters(command=self.command, args=list(self.args), env=dict(self.env) or None)

    def upstream(self, **options: Any) -> dict[str, Any]:
        config: dict[str, Any] = {"transport": "stdio", "command": self.command, "args": list(self.args)}
        if self.env:
            config["env"] = dict(self.env)
        return {**config, **options}


def node_server(package_bin: str, *args: str, env: Mapping[str, str] | None = None) -> StdioServer:
    node = shutil.which("node") or "node"
    return StdioServer(node, (str(NODE_BIN / package_bin), *args), env or {})


def python_server(script: str, *args: str) -> StdioServer:
    return StdioServer(str(VENV_BIN / script), args)


def everything_stdio() -> StdioServer:
    return node_server("mcp-server-everything", "stdio")


def filesystem(root: Path) -> StdioServer:
    return node_server("mcp-server-filesystem", str(root))


def memory(graph_file: Path) -> StdioServer:
    return node_server("mcp-server-memory", env={"MEMORY_FILE_PATH": str(graph_file)})


def sequential_thinking() -> StdioServer:
    # Its default prints every thought to stderr in a box; nothing of the protocol changes.
    return node_server("mcp-server-sequential-thinking", env={"DISABLE_THOUGHT_LOGGING": "true"})


def time_server() -> StdioServer:
    return python_server("mcp-server-time", "--local-timezone", "UTC")


def git_server(repository: Path) -> StdioServer:
    return python_server("mcp-server-git", "--repository", str(repository))


@dataclass
class HttpServer:
    """server-everything over one of its HTTP transports, as a process."""

    url: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)


_READY_LINES = {
    "streamableHttp": ("/mcp", "listening on port"),
    "sse": ("/sse", "running on port"),
}


@contextlib.contextmanager
def running_everything_http(mode: str) -> Iterator[HttpServer]:
    """`mcp-server-everything streamableHttp|sse` on a free port, ready once it logged so."""
    path, ready_text = _READY_LINES[mode]
    port = free_port()
    node = shutil.which("node") or "node"
    process = subprocess.Popen(
        [node, str(NODE_BIN / "mcp-server-everything"), mode],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PORT": str(port)},
    )
    server = HttpServer(f"http://127.0.0.1:{port}{path}", process)
    ready = threading.Event()

    def read_log() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            server.log.append(line.rstrip("\n"))
            if ready_text in line:
                ready.set()
        ready.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not ready.wait(START_TIMEOUT) or process.poll() is not None:
            raise RuntimeError(f"server-everything {mode} did not start:\n" + "\n".join(server.log[-20:]))
        yield server
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
        reader.join(STOP_TIMEOUT)


def make_git_repository(path: Path) -> Path:
    """A small repository with two commits and one unstaged change, for mcp-server-git."""
    path.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z",
        "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True, timeout=30)

    git("init", "-q", "-b", "main")
    (path / "README.md").write_text("# sample\n", encoding="utf-8")
    git("add", "README.md")
    git("commit", "-q", "-m", "Add README")
    (path / "notes.txt").write_text("first line\n", encoding="utf-8")
    git("add", "notes.txt")
    git("commit", "-q", "-m", "Add notes")
    (path / "notes.txt").write_text("first line\nsecond line\n", encoding="utf-8")
    return path


def make_file_tree(path: Path) -> Path:
    """A few files and folders for server-filesystem."""
    (path / "docs").mkdir(parents=True)
    (path / "docs" / "guide.md").write_text("# Guide\n\nRead me first.\n", encoding="utf-8")
    (path / "docs" / "faq.md").write_text("# FAQ\n", encoding="utf-8")
    (path / "secret").mkdir()
    (path / "secret" / "keys.txt").write_text("not for everyone\n", encoding="utf-8")
    return path
