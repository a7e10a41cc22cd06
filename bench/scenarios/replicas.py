"""Two gateway processes on one Redis behind the benchmark's own round-robin.

Both replicas share `server.public_url` (the audience of the tokens), `server.secret_key` and a
Redis key prefix of their own. The balancer sends each request to the next live replica, so a
session's requests land on both. First the aggregate throughput of two replicas against one;
then one replica is killed (SIGKILL) mid-run: a request that gets no reply marks its replica
down and is retried once, in the same session, on the other. A session whose retry fails too
is lost, and stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench import services
from bench.load import RoundResult
from bench.report import SideSummary
from bench.scenarios.base import Context, Outcome, Target, client, close_all, open_all, progress
from bench.scenarios.redis_store import REDIS_URL
from bench.wire import McpSession, ReplyError, TransportError

NAME = "replicas"
CONCURRENCY = 16


class Balancer:
    """Round-robin over the replicas not yet seen down."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.live = list(urls)
        self._turn = itertools.count()

    def pick(self, avoid: str | None = None) -> str:
        choices = [url for url in self.live if url != avoid] or self.live
        return choices[next(self._turn) % len(choices)]

    def down(self, url: str) -> None:
        if url in self.live and len(self.live) > 1:
            self.live.remove(url)


@dataclass
class FailoverResult:
    load: RoundResult = field(default_factory=RoundResult)
    retried: int = 0
    lost_sessions: int = 0
    retry_errors: list[str] = field(default_factory=list)


async def _call(session: McpSession, balancer: Balancer, result: FailoverResult) -> bool:
    """One tools/call, retried once on the other replica; False when the session is lost."""
    url = balancer.pick()
    session.move_to(url)
    sent = time.perf_counter()
    try:
        await session.echo()
    except ReplyError as exc:
        if isinstance(exc, TransportError):
            balancer.down(url)
        result.retried += 1
        session.move_to(balancer.pick(avoid=url))
        try:
            await session.echo()
        except ReplyError as retry_exc:
            result.load.fail(retry_exc)
            return False
    result.load.latencies.append(time.perf_counter() - sent)
    return True


async def _drive(
    sessions: Sequence[McpSession], balancer: Balancer, seconds: float, result: FailoverResult
) -> None:
    deadline = time.perf_counter() + seconds

    async def worker(session: McpSession) -> None:
        while time.perf_counter() < deadline:
            if not await _call(session, balancer, result):
                result.lost_sessions += 1
                return

    started = time.perf_counter()
    await asyncio.gather(*(worker(session) for session in sessions))
    result.load.elapsed += time.perf_counter() - started


async def _measure(
    context: Context, replicas: Sequence[services.Gateway], token: str
) -> tuple[SideSummary, SideSummary, FailoverResult]:
    settings = context.settings
    urls = [gw.url for gw in replicas]
    echo_tool = f"{services.UPSTREAM_NAME}__echo"
    async with client(CONCURRENCY * 4) as http:
        sessions = [
            McpSession(http, urls[i % 2], index=i, echo_tool=echo_tool, token=token)
            for i in range(CONCURRENCY)
        ]
        await open_all(sessions, CONCURRENCY)
        one, two = FailoverResult(), FailoverResult()
        for index in range(settings.rounds):
            sides = ((one, urls[:1]), (two, urls))
            for result, live in sides if index % 2 == 0 else reversed(sides):
                await _drive(sessions, Balancer(live), settings.seconds, result)
            progress(
                f"replicas round {index + 1}/{settings.rounds}: "
                f"one {_rps(one.load):.1f}/s, two {_rps(two.load):.1f}/s (pooled)"
            )
        failover = FailoverResult()
        balancer = Balancer(urls)
        run_seconds = settings.seconds * (2 if settings.quick else 3)
        drive = asyncio.create_task(_drive(sessions, balancer, run_seconds, failover))
        await asyncio.sleep(run_seconds / 2)
        replicas[1].process.kill()
        progress(f"replica 2 killed after {run_seconds / 2:.1f} s")
        await drive
        await close_all(sessions)
    return SideSummary.of([one.load]), SideSummary.of([two.load]), failover


def run(context: Context) -> Outcome:
    prefix = f"authz-mcp-bench-{uuid.uuid4().hex[:12]}:"
    shared = services.GatewayOptions(
        store_url=REDIS_URL,
        key_prefix=prefix,
        secret_key=secrets.token_urlsafe(32),
        public_url=f"http://127.0.0.1:{services.free_port()}",
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(services.redis_keys(REDIS_URL, prefix))
        upstream_url = stack.enter_context(services.demo_upstream(context.workdir, 0))
        replicas = [
            stack.enter_context(
                services.gateway(
                    context.workdir,
                    issuer_url=context.issuer.issuer_url,
                    upstream_url=upstream_url,
                    options=dataclasses.replace(shared, name=f"replica{n}"),
                )
            )
            for n in (1, 2)
        ]
        token = context.issuer.mint(services.BENCH_USER, audience=replicas[0].audience, expires_in=3600)
        one, two, failover = asyncio.run(_measure(context, replicas, token))
        if failover.lost_sessions or one.errors or two.errors:
            progress(f"replica 1 stderr (last lines):\n{services.tail(replicas[0].stderr_path)}")
    after = SideSummary.of([failover.load])
    ratio = two.rps / one.rps if one.rps else float("nan")
    rows = [
        f"{'tools/call c=16':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}",
        _row("one replica", one),
        _row("two replicas, round-robin", two) + f"   {ratio:.2f}x",
        _row("two, one killed mid-run", after),
        "",
        f"after the kill: {failover.retried} requests retried on the other replica, "
        f"{failover.lost_sessions} of {CONCURRENCY} sessions lost after one retry",
    ]
    table = "\n".join(rows)
    return Outcome(
        NAME,
        table,
        {
            "one_replica": one.__dict__,
            "two_replicas": two.__dict__,
            "aggregate_ratio": ratio,
            "kill": {**after.__dict__, "retried": failover.retried, "lost_sessions": failover.lost_sessions},
        },
        one.errors + two.errors + failover.lost_sessions,
        [
            Target(
                "sessions lost when one of two replicas is killed",
                float(failover.lost_sessions),
                0.0,
                "sessions",
            )
        ],
    )


def _row(label: str, s: SideSummary) -> str:
    return f"{label:<26} {s.rps:>8.1f} {s.p50_ms:>8.2f} {s.p99_ms:>8.2f} {s.errors:>7}"


def _rps(result: RoundResult) -> float:
    return len(result.latencies) / result.elapsed if result.elapsed else 0.0
