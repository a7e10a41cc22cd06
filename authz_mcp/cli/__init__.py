"""`authz-mcp` command line (DESIGN §5): exit 0 ok, 1 user error, 2 usage.

Each command family lives in its own module with a `register(commands)` that
adds its subparsers and sets `handler` (a function of the parsed arguments
returning the exit code). Those modules declare arguments only; a handler imports
its implementation (`policy_commands.py`, `token_commands.py`, ...) when it runs,
so that `--version` or `token list` does not load the gateway, the upstream
transports and the MCP SDK.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from authz_mcp import __version__
from authz_mcp.cli import catalog, init, policy, serve, tokens
from authz_mcp.errors import ConfigError
from authz_mcp.observability.logs import TEXT_FORMAT

COMMAND_MODULES = (init, serve, tokens, policy, catalog)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="authz-mcp", description="Authorization gateway for MCP servers")
    parser.add_argument("--version", action="version", version=f"authz-mcp {__version__}")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    commands = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format=TEXT_FORMAT,
        stream=sys.stderr,
    )
    # One line per upstream request is noise on the hot path; failures still show.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # casbin logs the whole model and every rule at INFO.
    logging.getLogger("casbin").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        code: int = args.handler(args)
        return code
    except ConfigError as exc:
        _fail(exc)
        return 1
    except BaseExceptionGroup as group:
        # A user error raised inside a task group (an upstream that cannot start, say)
        # is still one line, not the group's nested traceback.
        matched, _rest = group.split(ConfigError)
        if matched is None:
            raise
        _fail(_first_leaf(matched))
        return 1
    except KeyboardInterrupt:
        return 0


def _fail(exc: BaseException) -> None:
    """The one line a user error ends with: the last line, after every log line before it
    (`serve` batches its log lines)."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    print(f"authz-mcp: {exc}", file=sys.stderr)


def _first_leaf(group: BaseExceptionGroup[ConfigError]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
