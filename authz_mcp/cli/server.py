"""The gateway's server process: its listening sockets, event loop and uvicorn server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import uvicorn

from authz_mcp import __version__
from authz_mcp.config import Config
from authz_mcp.errors import ConfigError

logger = logging.getLogger("authz_mcp")

BACKLOG = 2048


def bind_listener(host: str, port: int) -> socket.socket:
    """The gateway's listening socket; a port in use or a bad address is a user error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from exc
    listener.set_inheritable(True)
    return listener


def run(main: Coroutine[Any, Any, None]) -> None:
    """`asyncio.run` on uvloop where it is installed (uvicorn[standard] brings it)."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(main)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def listening_sockets(config: Config) -> list[socket.socket]:
    """The main listener, and the separate metrics listener when one is configured."""
    sockets = [bind_listener(config.server.host, config.server.port)]
    metrics = config.metrics
    if metrics.enabled and metrics.port is not None:
        sockets.append(bind_listener(metrics.host, metrics.port))
    return sockets


async def serve(config: Config, sockets: list[socket.socket] | None = None) -> None:
    from authz_mcp.observability.logs import apply_logging
    from authz_mcp.runtime import open_runtime

    apply_logging(config.logging)
    if sockets is None and config.metrics.enabled and config.metrics.port is not None:
        # Two listeners, one app: it tells the metrics port from the main one by the local port.
        sockets = listening_sockets(config)
    async with open_runtime(config) as runtime:
        server_config = uvicorn.Config(
            runtime.app,
            host=config.server.host,
            port=config.server.port,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
        )
        await serve_until_stopped(server_config, config.server.mcp_url, sockets)


class _Server(uvicorn.Server):
    """A uvicorn server that logs one 'ready' line once it accepts connections."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self.url = url

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM start a graceful shutdown. Unlike uvicorn's own, the signal is
        not raised again afterwards, so the gateway's cleanup (upstream processes, store,
        audit log) runs and the process exits 0."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            logger.info("authz-mcp %s ready at %s", __version__, self.url)


async def serve_until_stopped(
    config: uvicorn.Config, url: str, sockets: list[socket.socket] | None = None
) -> None:
    await _Server(config, url).serve(sockets)
