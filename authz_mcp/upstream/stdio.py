"""MCP over stdio: one supervised child process per upstream (basic/transports "stdio").

The process is a single client connection, so every downstream session shares
it (`SHARED_SESSION`). Request ids on the wire are the gateway's own counter;
the client's ids never reach the process. A supervisor restarts the process
with capped exponential backoff and redoes the handshake; requests in flight
when it dies fail at once with `UpstreamFailed`.

Runs on asyncio (the gateway's loop under uvicorn): the supervisor is one
asyncio task, and everything below it is structured with anyio task groups.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable

import anyio
from anyio.abc import Process, TaskGroup, TaskStatus

from authz_mcp.config.model import StdioUpstreamConfig
from authz_mcp.errors import (
    AuthzMcpError,
    UpstreamFailed,
    UpstreamUnavailable,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.upstream import era, rpc
from authz_mcp.upstream.base import SHARED_SESSION, Era, MessageSink, UnsolicitedHandler
from authz_mcp.upstream.command import resolve_command
from authz_mcp.upstream.inbox import Inbox
from authz_mcp.upstream.listen import SubscriptionStream
from authz_mcp.upstream.modern import modern_request
from authz_mcp.upstream.pending import PendingCalls
from authz_mcp.upstream.process import LineBuffer, child_environment, stop_process

logger = logging.getLogger(__name__)

_INITIALIZE_TIMEOUT = 30.0
_STDERR_LINE_LIMIT = 8192
_FIRST_RESTART_DELAY, _MAX_RESTART_DELAY = 0.1, 5.0
# A process that ran this long was healthy: its next restart starts the backoff afresh.
_STABLE_SECONDS = 30.0


Launch = Callable[[StdioUpstreamConfig], Awaitable[Process]]
"""Starts the server a stdio upstream talks to; a test may serve it in-process instead."""


async def launch_process(config: StdioUpstreamConfig) -> Process:
    """The configured command as a child process, its stdin and stdout the connection."""
    executable = resolve_command(config.command, cwd=config.cwd, env=config.env) or config.command
    return await anyio.open_process(
        [executable, *config.args], env=child_environment(config.env), cwd=config.cwd
    )


class StdioUpstream:
    def __init__(
        self,
        name: str,
        config: StdioUpstreamConfig,
        *,
        client_capabilities: JSONObject,
        launch: Launch = launch_process,
    ) -> None:
        self.name = name
        self._config = config
        self._launch = launch
        self._capabilities = client_capabilities
        self._calls = PendingCalls(self._write)
        self._inbound = rpc.InboundRequests(self._reply)
        self._handler: UnsolicitedHandler | None = None
        self._process: Process | None = None
        self._initialize_result: JSONObject | None = None
        self._ready = anyio.Event()
        self._attempted = anyio.Event()
        self._write_lock = anyio.Lock()
        self._supervisor: asyncio.Task[None] | None = None
        self._era: Era | None = None
        self._subscriptions = SubscriptionStream(name, self.request, self._deliver_shared)

    @property
    def available(self) -> bool:
        return self._ready.is_set()

    @property
    def initialize_result(self) -> JSONObject | None:
        return self._initialize_result

    @property
    def era(self) -> Era | None:
        return self._era if self.available else None

    @property
    def pid(self) -> int | None:
        """The running child's process id (None while it is down)."""
        return None if self._process is None else self._process.pid

    async def wait_available(self) -> None:
        """Return once the process runs and is initialized; the caller bounds the wait."""
        while not self._ready.is_set():
            await self._ready.wait()

    def era_for(self, *, legacy_client: bool) -> Era | None:
        return self.era  # one connection, one era

    def set_unsolicited_handler(self, handler: UnsolicitedHandler) -> None:
        self._handler = handler

    async def start(self) -> None:
        if self._supervisor is None:
            self._supervisor = asyncio.get_running_loop().create_task(
                self._supervise(), name=f"upstream {self.name}"
            )
        await self._attempted.wait()

    async def aclose(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.wait([self._supervisor])

    async def open_session(
        self, client_capabilities: JSONObject, resume: str | None = None, *, legacy_client: bool = False
    ) -> str:
        return SHARED_SESSION

    async def close_session(self, handle: str) -> None:
        return None

    def probe(self, client_capabilities: JSONObject) -> StdioUpstream | None:
        if self._era is Era.MODERN:
            return None  # each request's envelope declares its own capabilities
        return StdioUpstream(
            self.name, self._config, client_capabilities=client_capabilities, launch=self._launch
        )

    async def listen(self, handle: str, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        if handle == SHARED_SESSION:
            await self.wait_available()
            if self._era is Era.MODERN:
                # 2026-07-28: change notifications come only on a subscriptions/listen stream.
                await self._subscriptions.run(task_status=task_status)
                return
        task_status.started()  # no such stream: everything arrives on stdout, routed as it comes

    async def notify(self, handle: str, method: str, params: JSONObject | None) -> None:
        if not self.available:
            raise UpstreamUnavailable()
        if self._era is Era.MODERN:
            return  # the modern era has no client notifications but cancellation, sent by PendingCalls
        await self._write(rpc.notification(method, params))

    async def request(
        self,
        handle: str,
        method: str,
        params: JSONObject | None,
        *,
        sink: MessageSink | None = None,
        timeout: float | None = None,
    ) -> JSONObject:
        if not self.available:
            raise UpstreamUnavailable()
        if timeout is None:
            timeout = self._config.timeout_seconds
        if self._era is Era.MODERN:

            async def send(stamped: JSONObject | None) -> JSONObject:
                return await self._calls.call(method, stamped, sink=sink, timeout_seconds=timeout)

            return await modern_request(self._subscriptions, None, method, params, send)
        return await self._calls.call(method, params, sink=sink, timeout_seconds=timeout)

    async def _deliver_shared(self, message: JSONObject) -> None:
        if self._handler is not None:
            await self._handler(SHARED_SESSION, message)

    async def _write(self, message: JSONObject) -> None:
        process = self._process
        if process is None or process.stdin is None:
            raise UpstreamUnavailable()
        try:
            async with self._write_lock:
                await process.stdin.send(rpc.encode(message) + b"\n")
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError) as exc:
            logger.warning("upstream %s: writing to the process failed: %r", self.name, exc)
            raise UpstreamFailed() from exc

    async def _reply(self, message: JSONObject) -> None:
        with contextlib.suppress(UpstreamFailed, UpstreamUnavailable):
            await self._write(message)

    async def _supervise(self) -> None:
        delays = rpc.backoff(_FIRST_RESTART_DELAY, _MAX_RESTART_DELAY)
        while True:
            started = anyio.current_time()
            try:
                await self._run_process()
            except OSError as exc:
                logger.error("upstream %s: cannot start %r: %s", self.name, self._config.command, exc)
            except Exception:  # the supervisor's boundary: log, restart, keep serving the rest
                logger.exception("upstream %s: connection failed", self.name)
            self._attempted.set()
            if anyio.current_time() - started > _STABLE_SECONDS:
                delays = rpc.backoff(_FIRST_RESTART_DELAY, _MAX_RESTART_DELAY)
            delay = next(delays)
            logger.warning("upstream %s: process ended; restarting in %.1fs", self.name, delay)
            await anyio.sleep(delay)

    async def _run_process(self) -> None:
        process = await self._launch(self._config)
        self._process = process
        logger.info("upstream %s: started process %d", self.name, process.pid)
        inbox = Inbox(self.name)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._drain_stderr, process)
                tg.start_soon(inbox.run)
                tg.start_soon(self._handshake, process)
                await self._read_stdout(process, tg, inbox)
                tg.cancel_scope.cancel()
        finally:
            self._mark_down()
            with anyio.CancelScope(shield=True):
                await stop_process(process)

    def _mark_down(self) -> None:
        self._process = None
        if self._ready.is_set():
            self._ready = anyio.Event()
        self._calls.fail_all()

    async def _handshake(self, process: Process) -> None:
        try:
            result = await era.probe(self._probe, self._config.protocol, self._capabilities)
            self._era = Era.LEGACY if result is None else Era.MODERN
            if result is None:
                params = rpc.initialize_params(self._capabilities)
                result = await self._calls.call(
                    "initialize", params, sink=None, timeout_seconds=_INITIALIZE_TIMEOUT
                )
                rpc.negotiated_version(result)
                # lifecycle: "After successful initialization, the client MUST send an
                # initialized notification to indicate it is ready to begin normal operations."
                await self._write(rpc.notification("notifications/initialized"))
        except AuthzMcpError as exc:
            logger.warning("upstream %s: initialize failed: %r", self.name, exc)
            with contextlib.suppress(ProcessLookupError):
                process.terminate()  # ends the read loop; the supervisor restarts it
        else:
            self._initialize_result = result
            self._ready.set()
            logger.info("upstream %s: initialized", self.name)
        self._attempted.set()

    async def _probe(self, method: str, params: JSONObject) -> JSONObject:
        # The probe is the process's first message: silence may only mean the interpreter is
        # still starting, which is no evidence of a legacy server, so it gets the handshake's
        # full time. A server that ignores unknown requests should be pinned `protocol: legacy`.
        return await self._calls.call(method, params, sink=None, timeout_seconds=_INITIALIZE_TIMEOUT)

    async def _read_stdout(self, process: Process, tg: TaskGroup, inbox: Inbox) -> None:
        assert process.stdout is not None
        lines = LineBuffer(rpc.MAX_MESSAGE_BYTES)
        with contextlib.suppress(anyio.BrokenResourceError):
            async for chunk in process.stdout:
                for line in lines.feed(chunk):
                    if line is None:
                        logger.warning("upstream %s: dropped a line over the size limit", self.name)
                    elif line.strip() and (message := rpc.decode(line)) is not None:
                        self._dispatch(message, tg, inbox)

    def _dispatch(self, message: JSONObject, tg: TaskGroup, inbox: Inbox) -> None:
        """Route one message without awaiting anything: the reader never waits for what a
        message leads to, or a recipient waiting for a later response would stop the connection."""
        if rpc.is_response(message):
            mark = inbox.received
            self._calls.settle(message, functools.partial(inbox.caught_up, mark) if mark else None)
        elif rpc.is_request(message):
            # Answered in its own task: a sampling answer may take minutes, and the
            # reader must keep delivering responses meanwhile.
            tg.start_soon(self._inbound.answer, message, self._target(message))
        elif not rpc.is_notification(message):
            logger.warning("upstream %s: dropped a message that is not JSON-RPC", self.name)
        elif message["method"] == "notifications/cancelled":
            self._inbound.cancel(message)
        else:
            inbox.put(message, self._target(message))

    def _target(self, message: JSONObject) -> MessageSink | None:
        """Who receives an upstream notification or request.

        Progress names its request through the token; anything else can only be
        attributed when exactly one request is in flight (stdio carries no other
        association), else the proxy decides through the unsolicited handler.
        """
        if message["method"] == "notifications/progress":
            return self._calls.sink_for_progress(message)
        subscription = self._calls.sink_for_subscription(message)
        if subscription is not None:
            return subscription
        only = self._calls.only_sink()
        if only is not None:
            return only
        handler = self._handler
        return None if handler is None else functools.partial(handler, SHARED_SESSION)

    async def _drain_stderr(self, process: Process) -> None:
        assert process.stderr is not None
        lines = LineBuffer(_STDERR_LINE_LIMIT)
        with contextlib.suppress(anyio.BrokenResourceError):
            async for chunk in process.stderr:
                for line in lines.feed(chunk):
                    text = "<overlong line>" if line is None else line.decode(errors="replace").rstrip()
                    # stdio: the client "SHOULD NOT assume stderr output indicates error conditions".
                    logger.info("upstream %s stderr: %s", self.name, text)
