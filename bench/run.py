"""The authz-mcp benchmark suite: every scenario of issue 6, in one run.

    python -m bench.run [--quick] [--scenario NAME ...] [--all] [--rounds N] [--seconds S]
                        [--output PATH] [--keep]

Each scenario (bench/scenarios/) starts on 127.0.0.1 what it needs — the bundled demo upstream
over Streamable HTTP, `authz-mcp serve` with a generated config and policy, Redis keys under a
prefix of its own — measures, and stops it all. A development JWKS issuer is shared by all.
Comparisons run both sides in the same run, in rounds that alternate which goes first, and
are reported as ratios. Every reply is verified; anything else counts as an error.

Prints a table per scenario and the issue-6 targets on stdout (progress goes to stderr) and
writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import services
from bench.scenarios import catalog, held_sessions, overhead, redis_store, reload, replicas, scale
from bench.scenarios.base import Context, Outcome, Settings, progress
from bench.wire import ReplyError

DEFAULT_OUTPUT = services.PROJECT_ROOT / "bench" / "results" / "latest.json"
SCENARIOS: dict[str, Callable[[Context], Outcome]] = {
    overhead.NAME: overhead.run,
    catalog.NAME: catalog.run,
    held_sessions.NAME: held_sessions.run,
    reload.NAME: reload.run,
    redis_store.NAME: redis_store.run,
    replicas.NAME: replicas.run,
    scale.NAME: scale.run,
}


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, list[str], Path]:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds and smaller counts")
    parser.add_argument(
        "--scenario", action="append", choices=sorted(SCENARIOS), help="run this scenario (repeatable)"
    )
    parser.add_argument("--all", action="store_true", help="run every scenario (the default)")
    parser.add_argument("--rounds", type=int, help="rounds per comparison (default 6, quick 2)")
    parser.add_argument(
        "--seconds", type=float, help="measured seconds per side per round (default 2, quick 1)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the configs, policies, logs and audit files"
    )
    parser.add_argument(
        "--upstream-protocol",
        choices=["auto", "legacy", "modern"],
        default="auto",
        help="the era the overhead gateway speaks to its upstream (default: auto)",
    )
    parser.add_argument(
        "--no-peer", action="store_true", help="leave the FastMCP proxy peer out of the overhead scenario"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    args = parser.parse_args(argv)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 6)
    seconds = args.seconds if args.seconds is not None else (1.0 if args.quick else 2.0)
    if rounds < 1 or seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds positive")
    if args.all and args.scenario:
        parser.error("--all and --scenario exclude each other")
    chosen = list(SCENARIOS) if args.all or not args.scenario else list(dict.fromkeys(args.scenario))
    warmup = 0.3 if args.quick else 0.5
    settings = Settings(
        args.quick,
        rounds,
        seconds,
        warmup,
        keep_files=args.keep,
        upstream_protocol=args.upstream_protocol,
        peer=not args.no_peer,
    )
    return settings, chosen, args.output


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


@contextmanager
def work_directory(*, keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="authz-mcp-bench-"))
    try:
        yield path
    finally:
        if keep:
            progress(f"configs, policies, logs and audit kept in {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def run(settings: Settings, chosen: Sequence[str], output: Path) -> int:
    started = datetime.now(UTC)
    clock = time.monotonic()
    info = machine()
    print(f"machine: {info['cpu_count']} cores ({info['usable_cpus']} usable), Python {info['python']}")
    print(f"{settings.rounds} rounds x {settings.seconds:g} s per side, sides alternating")
    outcomes: list[Outcome] = []
    failed: dict[str, str] = {}
    with work_directory(keep=settings.keep_files) as workdir, services.dev_issuer() as issuer:
        for name in chosen:
            progress(f"== {name}")
            scenario_dir = workdir / name
            scenario_dir.mkdir()
            try:
                outcome = SCENARIOS[name](Context(settings, scenario_dir, issuer))
            except (services.StartError, ReplyError) as exc:
                progress(f"bench: {name} failed: {exc}")
                failed[name] = str(exc)
                continue
            outcomes.append(outcome)
            print(f"\n## {name}\n{outcome.table}", flush=True)
    targets = [target for outcome in outcomes for target in outcome.targets]
    print("\n## targets")
    for target in targets:
        print(f"- {target.line()}")
    write_results(
        output,
        {
            "started_at": started.isoformat(timespec="seconds"),
            "duration_seconds": round(time.monotonic() - clock, 1),
            "machine": info,
            "settings": {
                "quick": settings.quick,
                "rounds": settings.rounds,
                "seconds_per_side_per_round": settings.seconds,
                "warmup_seconds": settings.warmup_seconds,
            },
            "scenarios": {outcome.name: {**outcome.data, "errors": outcome.errors} for outcome in outcomes},
            "failed": failed,
            "targets": [target.as_json() for target in targets],
        },
    )
    print(f"\nresults: {output}")
    return 1 if failed or any(outcome.errors for outcome in outcomes) else 0


def main(argv: Sequence[str] | None = None) -> int:
    settings, chosen, output = parse_args(argv)
    return run(settings, chosen, output)


if __name__ == "__main__":
    sys.exit(main())
