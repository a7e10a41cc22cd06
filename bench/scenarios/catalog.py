"""Large catalog: tools/list of 1,000 upstream tools under a 10,000-rule policy.

1,000 users in 100 roles see different subsets of the catalog. A cold user is one whose token
the gateway has never seen: the latency is that of its first tools/list after initialize. A warm
user lists again. The upstream's own tools/list of all 1,000 tools is the reference; warm and
direct requests alternate in rounds.
"""

from __future__ import annotations

import asyncio
import time

from bench import policygen, services
from bench.load import RoundResult
from bench.report import SideSummary
from bench.scenarios.base import Context, Outcome, Target, client, close_all, progress
from bench.wire import McpSession, ReplyError

NAME = "catalog"
TOOLS = 1_000


class _Measured:
    def __init__(self) -> None:
        self.result = RoundResult()

    async def time(self, session: McpSession, expected: int | None) -> None:
        sent = time.perf_counter()
        try:
            names = await session.list_tools()
            if expected is not None and len(names) != expected:
                raise ReplyError(f"tools/list held {len(names)} tools, expected {expected}")
        except ReplyError as exc:
            self.result.fail(exc)
            return
        self.result.latencies.append(time.perf_counter() - sent)


async def _measure(
    context: Context, policy: policygen.GeneratedPolicy, direct_url: str, gw: services.Gateway
) -> dict[str, SideSummary]:
    settings = context.settings
    users = 20 if settings.quick else 100
    cold, warm, direct = _Measured(), _Measured(), _Measured()
    async with client(4) as http:
        reference = McpSession(http, direct_url, index=0, echo_tool="echo", token=None)
        await reference.open()
        upstream_count = len(await reference.list_tools())
        progress(f"catalog: upstream lists {upstream_count} tools; {users} users")
        sessions: list[tuple[McpSession, int]] = []
        started = time.perf_counter()
        for index in range(users):
            user = policygen.GeneratedPolicy.user(index * 7 % policygen.USERS)
            token = context.issuer.mint(user, audience=gw.audience, expires_in=3600)
            session = McpSession(http, gw.url, index=index, echo_tool="", token=token)
            await session.open()
            expected = len(policy.visible[policygen.GeneratedPolicy.role_of(index * 7 % policygen.USERS)])
            await cold.time(session, expected)
            sessions.append((session, expected))
        cold.result.elapsed = time.perf_counter() - started
        for round_index in range(settings.rounds):
            sides = (("direct", direct), ("warm", warm))
            for name, side in sides if round_index % 2 == 0 else reversed(sides):
                deadline = time.perf_counter() + settings.seconds
                started = time.perf_counter()
                turn = 0
                while time.perf_counter() < deadline:
                    if name == "direct":
                        await side.time(reference, upstream_count)
                    else:
                        session, expected = sessions[turn % len(sessions)]
                        await side.time(session, expected)
                    turn += 1
                side.result.elapsed += time.perf_counter() - started
        await close_all([reference, *(session for session, _ in sessions)])
    return {
        name: SideSummary.of([m.result]) for name, m in (("direct", direct), ("cold", cold), ("warm", warm))
    }


def _table(summaries: dict[str, SideSummary]) -> str:
    header = f"{'tools/list':<24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'+p50 ms':>8}"
    lines = [header, "-" * len(header)]
    direct = summaries["direct"]
    labels = {"direct": "direct, 1,000 tools", "cold": "gateway, cold user", "warm": "gateway, warm user"}
    for name, s in summaries.items():
        added = "" if name == "direct" else f"{s.p50_ms - direct.p50_ms:>+8.2f}"
        row = f"{labels[name]:<24} {s.rps:>8.1f} {s.p50_ms:>8.2f} {s.p99_ms:>8.2f} {s.errors:>7} {added}"
        lines.append(row.rstrip())
    return "\n".join(lines)


def run(context: Context) -> Outcome:
    policy = policygen.generate(TOOLS, seed=1)
    options = services.GatewayOptions(name="catalog", policy=policy.text)
    with (
        services.demo_upstream(context.workdir, TOOLS, name="catalog-upstream") as upstream_url,
        services.gateway(
            context.workdir, issuer_url=context.issuer.issuer_url, upstream_url=upstream_url, options=options
        ) as gw,
    ):
        summaries = asyncio.run(_measure(context, policy, upstream_url, gw))
    added = summaries["warm"].p50_ms - summaries["direct"].p50_ms
    return Outcome(
        NAME,
        f"{TOOLS} upstream tools, {policy.lines} policy lines, "
        f"{policygen.USERS} users in {policygen.ROLES} roles\n\n{_table(summaries)}",
        {
            "tools": TOOLS,
            "policy_lines": policy.lines,
            "users": policygen.USERS,
            "roles": policygen.ROLES,
            "sides": {name: summary.__dict__ for name, summary in summaries.items()},
            "warm_added_p50_ms": added,
        },
        sum(s.errors for s in summaries.values()),
        [Target("warm tools/list added p50 (1,000 tools, 10,000 rules)", added, 2.0, "ms")],
    )
