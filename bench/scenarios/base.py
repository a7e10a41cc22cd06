"""What every scenario receives and returns, and the helpers they share."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from authz_mcp.auth.devissuer import DevIssuer
from bench import services
from bench.wire import McpSession, ReplyError

REQUEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class Settings:
    quick: bool
    rounds: int
    seconds: float
    """Measured time per side per round."""
    warmup_seconds: float
    keep_files: bool
    upstream_protocol: str = "auto"
    """The era the overhead gateway speaks to its upstream (`protocol` in its config)."""
    peer: bool = True
    """Compare the gateway with a FastMCP proxy too (overhead)."""


@dataclass(frozen=True)
class Outcome:
    name: str
    table: str
    """Printed under the scenario's name."""
    data: dict[str, Any]
    """Written to the JSON results under the scenario's name."""
    errors: int = 0
    targets: list[Target] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """One issue-6 target: what was measured against what it must be."""

    name: str
    measured: float
    limit: float
    unit: str
    higher_is_better: bool = False

    @property
    def met(self) -> bool:
        return self.measured >= self.limit if self.higher_is_better else self.measured <= self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": self.measured,
            "limit": self.limit,
            "unit": self.unit,
            "met": self.met,
        }

    def line(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        verdict = "met" if self.met else "MISSED"
        return f"{self.name}: {self.measured:,.2f} {self.unit} (target {sign} {self.limit:g}) {verdict}"


@dataclass(frozen=True)
class Context:
    settings: Settings
    workdir: Path
    issuer: DevIssuer


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def client(connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT)


async def open_all(sessions: Sequence[McpSession], parallel: int) -> None:
    """Initialize `sessions`, at most `parallel` at a time."""
    await bounded(parallel, [session.open for session in sessions])


async def bounded(parallel: int, jobs: Sequence[Callable[[], Awaitable[None]]]) -> None:
    queue = iter(jobs)

    async def drain() -> None:
        for job in queue:
            await job()

    await asyncio.gather(*(drain() for _ in range(min(parallel, len(jobs)))))


async def close_all(sessions: Sequence[McpSession]) -> None:
    for session in sessions:
        with contextlib.suppress(httpx.HTTPError, ReplyError):
            await session.close()


@contextlib.contextmanager
def demo_gateway(context: Context) -> Iterator[tuple[str, services.Gateway]]:
    """The demo upstream (no extra tools) and a gateway in front of it, as (upstream URL,
    gateway); a ReplyError raised inside carries the gateway's last log lines."""
    with (
        services.demo_upstream(context.workdir, 0) as upstream_url,
        services.gateway(
            context.workdir, issuer_url=context.issuer.issuer_url, upstream_url=upstream_url
        ) as gw,
    ):
        try:
            yield upstream_url, gw
        except ReplyError as exc:
            raise ReplyError(f"{exc}\ngateway stderr:\n{services.tail(gw.stderr_path)}") from exc
