"""`authz-mcp` command line (DESIGN §5): exit 0 ok, 1 user error, 2 usage."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence

import uvicorn

from authz_mcp import __version__
from authz_mcp.config import Config, load_config
from authz_mcp.errors import ConfigError

logger = logging.getLogger("authz_mcp")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="authz-mcp", description="Authorization gateway for MCP servers")
    parser.add_argument("--version", action="version", version=f"authz-mcp {__version__}")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", required=True, help="YAML config file")

    check = commands.add_parser("check", help="validate config, policy model and policy")
    check.add_argument("--config", required=True, help="YAML config file")

    demo = commands.add_parser("demo", help="run a demo gateway in front of the bundled example server")
    demo.add_argument("--port", type=int, default=8080, help="gateway port on 127.0.0.1 (default 8080)")
    return parser


def _check(config: Config) -> None:
    from authz_mcp.policy import PolicyEngine

    PolicyEngine.load(config.policy.model, config.policy.file)


async def serve(config: Config) -> None:
    from authz_mcp.runtime import open_runtime

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
        await serve_until_stopped(server_config, config.server.mcp_url)


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


async def serve_until_stopped(config: uvicorn.Config, url: str) -> None:
    await _Server(config, url).serve()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # One line per upstream request is noise on the hot path; failures still show.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # casbin logs the whole model and every rule at INFO.
    logging.getLogger("casbin").setLevel(logging.WARNING)
    try:
        if args.command == "demo":
            from authz_mcp.demo.run import run_demo

            return run_demo(port=args.port)
        config = load_config(args.config)
        if args.command == "check":
            _check(config)
            print(f"{args.config}: ok ({len(config.upstreams)} upstreams)")
            return 0
        asyncio.run(serve(config))
        return 0
    except ConfigError as exc:
        print(f"authz-mcp: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
