"""`serve`, `check` and `demo`: run and validate the gateway."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import uvicorn

from authz_mcp import __version__
from authz_mcp.config import Config, load_config
from authz_mcp.errors import ConfigError

logger = logging.getLogger("authz_mcp")

BACKLOG = 2048


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
    demo.add_argument("--port", type=int, help="gateway port (default: the config's, else 8080)")
    demo.add_argument(
        "--config", help="the demo's YAML config (e.g. examples/demo/gateway.yaml); default: built in"
    )
    demo.set_defaults(handler=_demo_command)


def _check_command(args: argparse.Namespace) -> int:
    from authz_mcp.cli.preflight import preflight

    config = load_config(args.config)
    checked = preflight(config, args.config)
    for line in (*checked.errors, *checked.warnings):
        print(line)
    errors = checked.errors
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        print(f"authz-mcp: check: {len(errors)} {noun} (listed above)", file=sys.stderr)
        return 1
    print(f"{args.config}: ok ({len(config.upstreams)} upstreams)")
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _serve_command(args: argparse.Namespace) -> int:
    from authz_mcp.cli.preflight import require_clean
    from authz_mcp.cli.workers import listening_sockets, require_shared_store, run_workers

    config = load_config(args.config)
    require_clean(config, args.config)
    require_shared_store(config, args.workers)
    if args.workers > 1:
        return run_workers(args.config, config, args.workers, args.log_level)
    # Bound before anything starts, so a busy port is one line and no upstream is spawned.
    run(serve(config, sockets=listening_sockets(config)))
    return 0


def _demo_command(args: argparse.Namespace) -> int:
    from authz_mcp.demo.run import run_demo

    return run_demo(port=args.port, config_path=args.config)


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
