"""Summaries of the rounds, the comparison of the two sides, and their table and JSON forms."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.load import RoundResult, Scenario


@dataclass(frozen=True)
class SideSummary:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    round_rps: list[float]
    error_samples: list[str]
    cpu_ms_per_request: dict[str, float]
    """CPU time per verified reply of each process the side accounts for, by label."""

    @classmethod
    def of(cls, rounds: Sequence[RoundResult]) -> SideSummary:
        latencies = sorted(latency for result in rounds for latency in result.latencies)
        seconds = sum(result.elapsed for result in rounds)
        samples = [sample for result in rounds for sample in result.error_samples]
        return cls(
            requests=len(latencies),
            errors=sum(result.errors for result in rounds),
            seconds=round(seconds, 3),
            rps=len(latencies) / seconds if seconds else 0.0,
            p50_ms=_percentile(latencies, 0.50) * 1000,
            p99_ms=_percentile(latencies, 0.99) * 1000,
            mean_ms=statistics.fmean(latencies) * 1000 if latencies else math.nan,
            round_rps=[_rps(result) for result in rounds],
            error_samples=list(dict.fromkeys(samples))[:5],
            cpu_ms_per_request=_cpu_per_request(rounds, len(latencies)),
        )


@dataclass(frozen=True)
class Comparison:
    scenario: str
    method: str
    concurrency: int
    direct: SideSummary
    gateway: SideSummary
    throughput_ratio: float
    """Gateway requests/s over direct requests/s, all rounds pooled."""
    round_ratios: list[float]
    """The same ratio per round: each round ran both sides back to back."""
    added_p50_ms: float
    added_p99_ms: float

    @classmethod
    def of(
        cls, scenario: Scenario, direct: Sequence[RoundResult], gateway: Sequence[RoundResult]
    ) -> Comparison:
        d, g = SideSummary.of(direct), SideSummary.of(gateway)
        return cls(
            scenario=scenario.name,
            method=scenario.method,
            concurrency=scenario.concurrency,
            direct=d,
            gateway=g,
            throughput_ratio=g.rps / d.rps if d.rps else math.nan,
            round_ratios=[
                _rps(gr) / _rps(dr) if _rps(dr) else math.nan for dr, gr in zip(direct, gateway, strict=True)
            ],
            added_p50_ms=g.p50_ms - d.p50_ms,
            added_p99_ms=g.p99_ms - d.p99_ms,
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def table(
    comparisons: Sequence[Comparison],
    labels: tuple[str, str] = ("direct", "gateway"),
    ratio_label: str = "gw/direct",
) -> str:
    """`labels` name the two sides: the reference first, then the side measured against it."""
    header = (
        f"{'scenario':<17} {'side':<8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f"   {ratio_label:>9} {'rounds':>11} {'+p50 ms':>8} {'+p99 ms':>8}"
    )
    lines = [header, "-" * len(header)]
    for c in comparisons:
        ratios = [r for r in c.round_ratios if not math.isnan(r)]
        spread = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"
        lines.append(_side_row(c.scenario, labels[0], c.direct))
        lines.append(
            _side_row("", labels[1], c.gateway)
            + f"   {c.throughput_ratio:>8.2f}x {spread:>11} {c.added_p50_ms:>+8.2f} {c.added_p99_ms:>+8.2f}"
        )
    return "\n".join(lines)


def _side_row(scenario: str, side: str, s: SideSummary) -> str:
    return f"{scenario:<17} {side:<8} {s.rps:>8.1f} {s.p50_ms:>8.2f} {s.p99_ms:>8.2f} {s.errors:>7}"


def cpu_lines(comparisons: Sequence[Comparison], labels: tuple[str, str] = ("direct", "gateway")) -> str:
    """CPU ms per request of each accounted process, per scenario and side."""
    lines = []
    for c in comparisons:
        for label, side in zip(labels, (c.direct, c.gateway), strict=True):
            if side.cpu_ms_per_request:
                used = ", ".join(f"{name} {ms:.2f}" for name, ms in side.cpu_ms_per_request.items())
                lines.append(f"{c.scenario:<17} {label:<8} CPU ms per request: {used}")
    return "\n".join(lines)


def _cpu_per_request(rounds: Sequence[RoundResult], requests: int) -> dict[str, float]:
    totals: dict[str, float] = {}
    for result in rounds:
        for label, seconds in result.cpu_seconds.items():
            totals[label] = totals.get(label, 0.0) + seconds
    return {label: seconds * 1000 / requests for label, seconds in totals.items()} if requests else {}


def _rps(result: RoundResult) -> float:
    return len(result.latencies) / result.elapsed if result.elapsed else 0.0


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `q` of the values at or below it."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]
