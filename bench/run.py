"""Gateway overhead benchmark: authz-mcp against the same upstream called directly, in one run.

    python -m bench.run [--quick] [--rounds N] [--seconds S] [--output PATH]

Starts, on 127.0.0.1, the bundled demo upstream over Streamable HTTP (with 100 extra tools, so
that tools/list carries a realistic catalog), a development JWKS issuer, and
`authz-mcp serve` in front of the upstream with a one-line policy granting the bench user every
tool. A raw MCP client (httpx, not the SDK) then runs each scenario, tools/call `echo` and
tools/list at 1 and 16 concurrent sessions, in rounds that alternate the two sides (direct first
in even rounds, gateway first in odd ones) so that drift of the machine falls on both alike.
Every reply is verified; anything else counts as an error.

Prints a table on stdout (progress goes to stderr) and writes bench/results/latest.json. The
load generator shares the machine with both servers, so absolute numbers depend on the core
count printed with them; the ratios are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import services
from bench.load import RoundResult, Scenario, Side, run_round
from bench.report import Comparison, table
from bench.wire import McpSession, ReplyError

EXTRA_TOOLS = 100
DEFAULT_OUTPUT = services.PROJECT_ROOT / "bench" / "results" / "latest.json"
SCENARIOS = (
    Scenario("tools/call", 1),
    Scenario("tools/call", 16),
    Scenario("tools/list", 1),
    Scenario("tools/list", 16),
)
_REQUEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class Settings:
    rounds: int
    seconds: float
    """Measured time per side per round."""
    warmup_seconds: float
    keep_files: bool


@dataclass(frozen=True)
class Endpoints:
    direct_url: str
    gateway_url: str
    token: str


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, Path]:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (under a minute)")
    parser.add_argument("--rounds", type=int, help="rounds per scenario (default 6, quick 2)")
    parser.add_argument(
        "--seconds", type=float, help="measured seconds per side per round (default 2, quick 1)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the config, logs and audit file")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 6)
    seconds = args.seconds if args.seconds is not None else (1.0 if args.quick else 2.0)
    if rounds < 1 or seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds positive")
    warmup = 0.3 if args.quick else 0.5
    return Settings(rounds, seconds, warmup, keep_files=args.keep), args.output


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.asynccontextmanager
async def open_side(
    name: str, url: str, *, echo_tool: str, token: str | None, sessions: int, tool_count: int | None = None
) -> AsyncIterator[Side]:
    """`sessions` initialized sessions on one keep-alive client; `tool_count` defaults to the first list."""
    limits = httpx.Limits(max_connections=sessions * 2, max_keepalive_connections=sessions * 2)
    async with httpx.AsyncClient(limits=limits, timeout=_REQUEST_TIMEOUT) as client:
        opened = [McpSession(client, url, index=i, echo_tool=echo_tool, token=token) for i in range(sessions)]
        for session in opened:
            await session.open()
        names = await opened[0].list_tools()
        if echo_tool not in names:
            raise ReplyError(f"{name}: tools/list does not offer {echo_tool!r}")
        if tool_count is not None and len(names) != tool_count:
            progress(f"warning: {name} lists {len(names)} tools, direct lists {tool_count}")
        try:
            yield Side(name, opened, echo_tool, tool_count if tool_count is not None else len(names))
        finally:
            for session in opened:
                with contextlib.suppress(httpx.HTTPError):
                    await session.close()


async def measure(settings: Settings, endpoints: Endpoints) -> list[Comparison]:
    sessions = max(scenario.concurrency for scenario in SCENARIOS)
    async with (
        open_side("direct", endpoints.direct_url, echo_tool="echo", token=None, sessions=sessions) as direct,
        open_side(
            "gateway",
            endpoints.gateway_url,
            echo_tool=f"{services.UPSTREAM_NAME}__echo",
            token=endpoints.token,
            sessions=sessions,
            tool_count=direct.tool_count,
        ) as gateway,
    ):
        progress(f"catalog: {direct.tool_count} tools; {sessions} sessions per side")
        return [await measure_scenario(settings, scenario, direct, gateway) for scenario in SCENARIOS]


async def measure_scenario(settings: Settings, scenario: Scenario, direct: Side, gateway: Side) -> Comparison:
    for side in (direct, gateway):
        await run_round(side, scenario, settings.warmup_seconds)
    results: dict[str, list[RoundResult]] = {direct.name: [], gateway.name: []}
    for index in range(settings.rounds):
        order = (direct, gateway) if index % 2 == 0 else (gateway, direct)
        for side in order:
            results[side.name].append(await run_round(side, scenario, settings.seconds))
        d, g = results[direct.name][-1], results[gateway.name][-1]
        progress(
            f"{scenario.name:<17} round {index + 1}/{settings.rounds}: "
            f"direct {len(d.latencies) / d.elapsed:7.1f}/s ({d.errors} err), "
            f"gateway {len(g.latencies) / g.elapsed:7.1f}/s ({g.errors} err)"
        )
    return Comparison.of(scenario, results[direct.name], results[gateway.name])


def machine() -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "httpx": httpx.__version__,
    }


def _finite(value: Any) -> Any:
    """JSON has no NaN: an undefined number (no successful request) is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def write_results(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(document), indent=2, allow_nan=False) + "\n", encoding="utf-8")


@contextlib.contextmanager
def work_directory(*, keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="authz-mcp-bench-"))
    try:
        yield path
    finally:
        if keep:
            progress(f"config, policy, logs and audit kept in {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


class SetupFailed(Exception):
    """The first requests (initialize, the first tools/list) failed: nothing to measure."""


def run_services(settings: Settings) -> tuple[list[Comparison], dict[str, Any]]:
    """Start everything, measure, stop everything: the comparisons and what the gateway wrote."""
    with (
        work_directory(keep=settings.keep_files) as workdir,
        services.demo_upstream(workdir, EXTRA_TOOLS) as upstream_url,
        services.dev_issuer() as issuer,
        services.gateway(workdir, issuer_url=issuer.issuer_url, upstream_url=upstream_url) as gateway,
    ):
        token = issuer.mint(services.BENCH_USER, audience=gateway.url, expires_in=3600)
        progress(f"upstream {upstream_url}, gateway {gateway.url}")
        try:
            comparisons = asyncio.run(measure(settings, Endpoints(upstream_url, gateway.url, token)))
        except ReplyError as exc:
            raise SetupFailed(f"{exc}\ngateway stderr:\n{services.tail(gateway.stderr_path)}") from exc
        if any(c.gateway.errors for c in comparisons):
            progress(f"gateway stderr (last lines):\n{services.tail(gateway.stderr_path)}")
        with gateway.audit_path.open(encoding="utf-8") as audit:
            written = {
                "stderr_lines": len(gateway.stderr_path.read_text(encoding="utf-8").splitlines()),
                "audit_lines": sum(1 for _ in audit),
            }
        return comparisons, written


def run(settings: Settings, output: Path) -> int:
    started = datetime.now(UTC)
    clock = time.monotonic()
    comparisons, gateway_output = run_services(settings)
    info = machine()
    print(f"machine: {info['cpu_count']} cores ({info['usable_cpus']} usable), Python {info['python']}")
    print(
        f"{settings.rounds} rounds x {settings.seconds:g} s per side, sides alternating; "
        f"upstream: authz_mcp.demo.server with {EXTRA_TOOLS} extra tools"
    )
    print()
    print(table(comparisons))
    write_results(
        output,
        {
            "started_at": started.isoformat(timespec="seconds"),
            "duration_seconds": round(time.monotonic() - clock, 1),
            "machine": info,
            "settings": {
                "rounds": settings.rounds,
                "seconds_per_side_per_round": settings.seconds,
                "warmup_seconds": settings.warmup_seconds,
                "extra_tools": EXTRA_TOOLS,
            },
            "gateway_output": gateway_output,
            "scenarios": [comparison.as_json() for comparison in comparisons],
        },
    )
    print(f"\nresults: {output}")
    errors = sum(c.direct.errors + c.gateway.errors for c in comparisons)
    return 1 if errors else 0


def main(argv: Sequence[str] | None = None) -> int:
    settings, output = parse_args(argv)
    try:
        return run(settings, output)
    except (services.StartError, SetupFailed) as exc:
        progress(f"bench: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
