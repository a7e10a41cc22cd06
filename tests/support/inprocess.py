"""The gateway in the test process: the app `open_runtime` builds, driven through
`httpx.ASGITransport`, with every stdio upstream that runs the demo server served in-process.

    async with in_process_gateway(config) as gateway:      # config: a gateway_config(...) dict
        response = await gateway.http.post(gateway.url, json=..., headers=...)

The stdio upstream is the real `StdioUpstream` (era probe, handshake, id mapping, routing of
what the server sends); only its launch differs. Instead of a child process, `InProcessServer`
serves the demo server, built with the options its command line names, in a task of the test's
own event loop, and the two speak stdio's newline-delimited JSON-RPC over memory streams. No
interpreter starts and no port is bound, so a test of the gateway's HTTP and proxy behaviour
pays neither a gateway's nor an upstream's process start. Other upstreams are built as
configured (an HTTP upstream reaches a real server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio.abc import ByteReceiveStream, ByteSendStream, Process
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.server import Server
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

from authz_mcp.config import Config, parse_config
from authz_mcp.config.model import StdioUpstreamConfig
from authz_mcp.demo.server import DemoConfig, build_server, parse_args
from authz_mcp.demo.serving import serve_streams
from authz_mcp.runtime import SHARED_CONNECTION_CAPABILITIES, Runtime, build_upstreams, open_runtime
from authz_mcp.upstream.base import Upstream
from authz_mcp.upstream.process import LineBuffer
from authz_mcp.upstream.rpc import MAX_MESSAGE_BYTES
from authz_mcp.upstream.stdio import StdioUpstream
from tests.support.upstreams import DEMO_MODULE
from tests.support.warm import python_m_args

HTTP_TIMEOUT = 20.0


class _BytesOut(ByteSendStream):
    def __init__(self, inner: MemoryObjectSendStream[bytes]) -> None:
        self._inner = inner

    async def send(self, item: bytes) -> None:
        await self._inner.send(item)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _BytesIn(ByteReceiveStream):
    def __init__(self, inner: MemoryObjectReceiveStream[bytes]) -> None:
        self._inner = inner

    async def receive(self, max_bytes: int = 65536) -> bytes:
        return await self._inner.receive()  # EndOfStream once the server side has ended

    async def aclose(self) -> None:
        await self._inner.aclose()


def _pipe() -> tuple[MemoryObjectSendStream[bytes], MemoryObjectReceiveStream[bytes]]:
    return anyio.create_memory_object_stream[bytes](64)


class InProcessServer(Process):
    """An MCP server of the SDK, served in this process behind a child process's interface:
    what is written to `stdin` reaches it as stdio's framing does, what it sends comes out
    of `stdout`, and terminating it ends its task as a signal ends a process."""

    def __init__(self, server: Server[Any], *, legacy_only: bool) -> None:
        self._server = server
        self._legacy_only = legacy_only
        stdin_send, self._stdin_receive = _pipe()
        self._stdout_send, stdout_receive = _pipe()
        self._stderr_send, stderr_receive = _pipe()  # the server writes nothing there
        self._stdin = _BytesOut(stdin_send)
        self._stdout = _BytesIn(stdout_receive)
        self._stderr = _BytesIn(stderr_receive)
        self._returncode: int | None = None
        self._ended = anyio.Event()
        self._task = asyncio.get_running_loop().create_task(self._serve(), name="in-process upstream")

    async def _serve(self) -> None:
        inbound_send, inbound = anyio.create_memory_object_stream[SessionMessage | Exception](0)
        outbound, outbound_receive = anyio.create_memory_object_stream[SessionMessage](0)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._read_stdin, inbound_send)
                tg.start_soon(self._write_stdout, outbound_receive)
                await serve_streams(self._server, inbound, outbound, legacy_only=self._legacy_only)
                tg.cancel_scope.cancel()
            self._returncode = 0
        except asyncio.CancelledError:
            self._returncode = -signal.SIGTERM
            raise
        finally:
            self._stdout_send.close()
            self._stderr_send.close()
            self._ended.set()

    async def _read_stdin(self, inbound: MemoryObjectSendStream[SessionMessage | Exception]) -> None:
        lines = LineBuffer(MAX_MESSAGE_BYTES)
        async with inbound:
            async for chunk in self._stdin_receive:
                for line in lines.feed(chunk):
                    if line is None or not line.strip():
                        continue
                    try:
                        message = jsonrpc_message_adapter.validate_json(line, by_name=False)
                    except ValueError as exc:  # as the SDK's stdio transport: the server answers it
                        await inbound.send(exc)
                    else:
                        await inbound.send(SessionMessage(message))

    async def _write_stdout(self, outbound: MemoryObjectReceiveStream[SessionMessage]) -> None:
        async for sent in outbound:
            line = sent.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                await self._stdout_send.send(line.encode())

    @property
    def pid(self) -> int:
        return os.getpid()

    @property
    def returncode(self) -> int | None:
        return self._returncode

    @property
    def stdin(self) -> ByteSendStream:
        return self._stdin

    @property
    def stdout(self) -> ByteReceiveStream:
        return self._stdout

    @property
    def stderr(self) -> ByteReceiveStream:
        return self._stderr

    async def wait(self) -> int:
        await self._ended.wait()
        assert self._returncode is not None
        return self._returncode

    def terminate(self) -> None:
        self._task.cancel()

    def kill(self) -> None:
        self._task.cancel()

    def send_signal(self, signal: int) -> None:
        self._task.cancel()

    async def aclose(self) -> None:
        self.terminate()
        await self.wait()


def is_demo_command(config: StdioUpstreamConfig) -> bool:
    return tuple(python_m_args(config.args)[:3]) == ("-m", DEMO_MODULE, "stdio")


async def launch_demo(config: StdioUpstreamConfig) -> Process:
    """The demo server its command line describes, in-process."""
    args = parse_args(python_m_args(config.args)[2:])
    server = build_server(DemoConfig(page_size=args.page_size, extra_tools=args.extra_tools))
    return InProcessServer(server, legacy_only=args.legacy_only)


def in_process_upstreams(config: Config, http: httpx.AsyncClient) -> dict[str, Upstream]:
    """The configured upstreams, each stdio demo server served in-process."""
    upstreams = build_upstreams(config, http)
    for name, upstream in config.upstreams.items():
        if isinstance(upstream, StdioUpstreamConfig) and is_demo_command(upstream):
            upstreams[name] = StdioUpstream(
                name, upstream, client_capabilities=SHARED_CONNECTION_CAPABILITIES, launch=launch_demo
            )
    return upstreams


@dataclass
class InProcessGateway:
    runtime: Runtime
    http: httpx.AsyncClient
    """Reaches the app in-process, with the configured public URL as its base."""
    base_url: str

    @property
    def url(self) -> str:
        return f"{self.base_url}/mcp"

    def audit(self) -> list[dict[str, Any]]:
        """The audit file's lines so far."""
        path = self.runtime.config.audit.path
        if path is None or not Path(path).exists():
            return []
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@contextlib.asynccontextmanager
async def _serving(raw_config: dict[str, Any]) -> AsyncIterator[InProcessGateway]:
    config = parse_config(raw_config)
    base_url = config.server.base_url
    async with open_runtime(config, upstreams=in_process_upstreams) as runtime:
        transport = httpx.ASGITransport(app=runtime.app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=HTTP_TIMEOUT) as http:
            yield InProcessGateway(runtime, http, base_url)


@contextlib.asynccontextmanager
async def in_process_gateway(raw_config: dict[str, Any]) -> AsyncIterator[InProcessGateway]:
    """The gateway `raw_config` describes (a `gateway_config` dict), started in this process.

    A task of its own enters and leaves the runtime, so a fixture may yield it: pytest-asyncio
    tears an async fixture down in another task than set it up, where the runtime's task groups
    could not be left."""
    started: asyncio.Future[InProcessGateway] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        async with _serving(raw_config) as running:
            started.set_result(running)
            await stop.wait()

    holder = asyncio.create_task(hold(), name="in-process gateway")
    try:
        either: set[asyncio.Future[Any]] = {holder, started}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            holder.result()  # raises what stopped the start
        yield started.result()
    finally:
        stop.set()
        await holder
