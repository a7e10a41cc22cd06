"""`serve`, `check` and `demo`: run and validate the gateway."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import uvicorn

from authz_mcp import __version__
from authz_mcp.config import Config, load_config

logger = logging.getLogger("authz_mcp")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve_parser = commands.add_parser("serve", help="run the gateway")
    serve_parser.add_argument("--config", required=True, help="YAML config file")
    serve_parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes on the one port (default 1; more than 1 needs a redis:// store)",
    )
    serve_parser.set_defaults(handler=_serve_command)

    check = commands.add_parser("check", help="validate config, policy model and policy")
    check.add_argument("--config", required=True, help="YAML config file")
    check.set_defaults(handler=_check_command)

    demo = commands.add_parser("demo", help="run a demo gateway in front of the bundled example server")
    demo.add_argument("--port", type=int, default=8080, help="gateway port on 127.0.0.1 (default 8080)")
    demo.set_defaults(handler=_demo_command)


def _check_command(args: argparse.Namespace) -> int:
    from authz_mcp.policy import PolicyEngine

    config = load_config(args.config)
    PolicyEngine.load(config.policy.model, config.policy.file)
    print(f"{args.config}: ok ({len(config.upstreams)} upstreams)")
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _serve_command(args: argparse.Namespace) -> int:
    from authz_mcp.cli.workers import require_shared_store, run_workers

    config = load_config(args.config)
    require_shared_store(config, args.workers)
    if args.workers > 1:
        return run_workers(args.config, config, args.workers, args.log_level)
    run(serve(config))
    return 0


def _demo_command(args: argparse.Namespace) -> int:
    from authz_mcp.demo.run import run_demo

    return run_demo(port=args.port)


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


async def serve(config: Config, sockets: list[socket.socket] | None = None) -> None:
    from authz_mcp.cli.workers import listening_sockets
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
