"""`serve`, `check` and `demo`: run and validate the gateway."""

from __future__ import annotations

import argparse
import sys


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
    from authz_mcp.config import load_config

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
    from authz_mcp.cli.server import listening_sockets, run, serve
    from authz_mcp.cli.workers import require_shared_store, run_workers
    from authz_mcp.config import load_config

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
