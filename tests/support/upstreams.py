"""The demo MCP server (authz_mcp.demo.server) run as a real subprocess, for tests; each is
forked from a warm interpreter (tests/support/warm.py), the stdio one through its launcher.

    async with http_demo_server("--page-size", "2") as url:   # "http://127.0.0.1:<port>/mcp"
        ...
    command, args = demo_stdio_command("--extra-tools", "50")  # for a stdio upstream config

The HTTP server is ready when it prints its READY line; that line is awaited with a deadline,
never slept for. The package is not installed, so the subprocess runs with the project root as
its working directory: pass ``PROJECT_ROOT`` as ``cwd`` when spawning the stdio command too.
"""

from __future__ import annotations

import contextlib
import functools
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from subprocess import PIPE
from typing import Literal

import anyio
from mcp.client.stdio import StdioServerParameters

from tests.support import warm
from tests.support.warm import WarmProcess

PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
DEMO_MODULE = "authz_mcp.demo.server"

Transport = Literal["stdio", "http"]

_READY_PREFIX = "READY "
_START_TIMEOUT = 20.0
_STOP_TIMEOUT = 5.0


def stdio_command(module: str, *extra_args: str) -> tuple[str, list[str]]:
    """Command and arguments that run a server ``module`` (the demo server, or a test server
    such as ``tests.support.vault_server``) over stdio, from ``PROJECT_ROOT``."""
    return warm.stdio_command(module, "stdio", *extra_args)


def demo_stdio_command(*extra_args: str) -> tuple[str, list[str]]:
    """Command and arguments that run the demo server over stdio (from ``PROJECT_ROOT``)."""
    return stdio_command(DEMO_MODULE, *extra_args)


def demo_stdio_params(*extra_args: str) -> StdioServerParameters:
    """The same command as SDK ``StdioServerParameters``, for ``mcp.Client``."""
    command, args = demo_stdio_command(*extra_args)
    return StdioServerParameters(command=command, args=args, cwd=PROJECT_ROOT)


@asynccontextmanager
async def http_demo_server(*extra_args: str, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Run the demo server over streamable HTTP on a free port; yield its ``/mcp`` URL."""
    async with http_server(DEMO_MODULE, *extra_args, host=host) as url:
        yield url


@asynccontextmanager
async def sse_demo_server(*extra_args: str) -> AsyncIterator[str]:
    """Run the demo server over 2024-11-05 HTTP+SSE on a free port; yield its ``/sse`` URL."""
    async with http_server(DEMO_MODULE, *extra_args, mode="sse") as url:
        yield url


@contextlib.contextmanager
def demo_sse_on(port: int) -> Iterator[None]:
    """The demo server's sse mode on a fixed port (so it can come back on the same URL)."""
    command = [sys.executable, "-m", DEMO_MODULE, "sse", "--host", "127.0.0.1", "--port", str(port)]
    process = warm.start(command, cwd=PROJECT_ROOT, stdout=PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        if not process.stdout.readline().startswith("READY "):
            raise RuntimeError("demo server did not start")
        yield
    finally:
        process.terminate()
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT)


@asynccontextmanager
async def http_server(
    module: str, *extra_args: str, host: str = "127.0.0.1", mode: str = "http"
) -> AsyncIterator[str]:
    """Run a server ``module`` that prints a READY line over streamable HTTP (or another HTTP
    ``mode`` it has) on a free port; yield the URL it announces."""
    command = [sys.executable, "-m", module, mode, "--host", host, "--port", "0", *extra_args]
    process = await anyio.to_thread.run_sync(
        functools.partial(warm.start, command, cwd=PROJECT_ROOT, stdout=PIPE)
    )
    try:
        yield await _await_ready(process)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_stop, process)


@asynccontextmanager
async def demo_upstream(transport: Transport, *extra_args: str) -> AsyncIterator[str | StdioServerParameters]:
    """What ``mcp.Client`` needs to reach a fresh demo server over ``transport``."""
    async with server_upstream(DEMO_MODULE, transport, *extra_args) as target:
        yield target


@asynccontextmanager
async def server_upstream(
    module: str, transport: Transport, *extra_args: str
) -> AsyncIterator[str | StdioServerParameters]:
    """What ``mcp.Client`` needs to reach a fresh server ``module`` over ``transport``."""
    if transport == "http":
        async with http_server(module, *extra_args) as url:
            yield url
    else:
        command, args = stdio_command(module, *extra_args)
        yield StdioServerParameters(command=command, args=args, cwd=PROJECT_ROOT)


async def _await_ready(process: WarmProcess) -> str:
    stdout = process.stdout
    assert stdout is not None
    # The line is read on a thread; a server that stays silent is killed, which ends the read.
    timer = threading.Timer(_START_TIMEOUT, process.kill)
    timer.start()
    try:
        line = await anyio.to_thread.run_sync(stdout.readline)
    finally:
        timer.cancel()
    if not line:
        raise RuntimeError(f"server exited before it was ready (exit code {process.poll()})")
    if not line.startswith(_READY_PREFIX):
        raise RuntimeError(f"server printed {line!r} instead of its READY line")
    return line[len(_READY_PREFIX) :].strip()


def _stop(process: WarmProcess) -> None:
    process.terminate()
    try:
        process.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(_STOP_TIMEOUT)
    process.close_pipes()
