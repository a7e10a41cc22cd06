"""The load generator: closed-loop workers, one per session, each sending its next request as
soon as the previous reply has been verified, for a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bench.services import cpu_seconds
from bench.wire import McpSession, ReplyError

Method = Literal["tools/call", "tools/list"]
_ERROR_SAMPLES = 5


@dataclass(frozen=True)
class Scenario:
    method: Method
    concurrency: int

    @property
    def name(self) -> str:
        return f"{self.method} c={self.concurrency}"


@dataclass(frozen=True)
class Side:
    """One way to reach the upstream: directly, or through the gateway."""

    name: str
    sessions: Sequence[McpSession]
    echo_tool: str
    tool_count: int
    """How many tools every tools/list reply must hold."""
    processes: Mapping[str, int] = field(default_factory=dict)
    """Processes whose CPU time a round accounts for, by label (e.g. gateway, upstream)."""


@dataclass
class RoundResult:
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    """Seconds per verified reply."""
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    """CPU time each of the side's processes used during the round, by label."""

    def fail(self, error: ReplyError) -> None:
        self.errors += 1
        if len(self.error_samples) < _ERROR_SAMPLES:
            self.error_samples.append(str(error))


def operation(side: Side, method: Method) -> Callable[[McpSession], Awaitable[None]]:
    if method == "tools/call":
        return McpSession.echo

    async def list_tools(session: McpSession) -> None:
        names = await session.list_tools()
        if len(names) != side.tool_count or side.echo_tool not in names:
            raise ReplyError(f"tools/list held {len(names)} tools, expected {side.tool_count}")

    return list_tools


async def run_round(side: Side, scenario: Scenario, seconds: float) -> RoundResult:
    """Drive `scenario.concurrency` sessions of `side` for `seconds`; in-flight requests finish."""
    result = RoundResult()
    call = operation(side, scenario.method)
    cpu_before = {label: cpu_seconds(pid) for label, pid in side.processes.items()}
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(session: McpSession) -> None:
        while (sent := time.perf_counter()) < deadline:
            try:
                await call(session)
            except ReplyError as exc:
                result.fail(exc)
                continue
            result.latencies.append(time.perf_counter() - sent)

    await asyncio.gather(*(worker(session) for session in side.sessions[: scenario.concurrency]))
    result.elapsed = time.perf_counter() - start
    result.cpu_seconds = {
        label: cpu_seconds(pid) - cpu_before[label] for label, pid in side.processes.items()
    }
    return result
