"""The Redis session store against the memory store, on the same tools/call load.

Two gateways in front of one upstream, identical but for `store.url`; the Redis one uses a key
prefix of its own, whose keys are deleted afterwards. The two run in alternating rounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from bench import services
from bench.load import Scenario
from bench.report import Comparison, table
from bench.scenarios.base import Context, Outcome, Target, progress
from bench.scenarios.overhead import compare, open_side
from bench.wire import ReplyError

NAME = "redis"
REDIS_URL = "redis://127.0.0.1:6379/0"
LOADS = (Scenario("tools/call", 1), Scenario("tools/call", 16))


async def _measure(context: Context, memory: services.Gateway, redis: services.Gateway) -> list[Comparison]:
    echo_tool = f"{services.UPSTREAM_NAME}__echo"
    sessions = max(load.concurrency for load in LOADS)
    tokens = {
        gw.url: context.issuer.mint(services.BENCH_USER, audience=gw.audience, expires_in=3600)
        for gw in (memory, redis)
    }
    async with (
        open_side(
            "memory", memory.url, echo_tool=echo_tool, token=tokens[memory.url], sessions=sessions
        ) as m,
        open_side("redis", redis.url, echo_tool=echo_tool, token=tokens[redis.url], sessions=sessions) as r,
    ):
        return [await compare(context.settings, load, m, r) for load in LOADS]


def run(context: Context) -> Outcome:
    prefix = f"authz-mcp-bench-{uuid.uuid4().hex[:12]}:"
    issuer_url = context.issuer.issuer_url
    with contextlib.ExitStack() as stack:
        stack.enter_context(services.redis_keys(REDIS_URL, prefix))
        upstream_url = stack.enter_context(services.demo_upstream(context.workdir, 0))
        memory = stack.enter_context(
            services.gateway(
                context.workdir,
                issuer_url=issuer_url,
                upstream_url=upstream_url,
                options=services.GatewayOptions(name="memory"),
            )
        )
        redis = stack.enter_context(
            services.gateway(
                context.workdir,
                issuer_url=issuer_url,
                upstream_url=upstream_url,
                options=services.GatewayOptions(name="redis", store_url=REDIS_URL, key_prefix=prefix),
            )
        )
        try:
            comparisons = asyncio.run(_measure(context, memory, redis))
        except ReplyError as exc:
            raise ReplyError(f"{exc}\nredis gateway stderr:\n{services.tail(redis.stderr_path)}") from exc
        errors = sum(c.direct.errors + c.gateway.errors for c in comparisons)
        if errors:
            progress(f"redis gateway stderr (last lines):\n{services.tail(redis.stderr_path)}")
    ratio = comparisons[-1].throughput_ratio
    return Outcome(
        NAME,
        f"store.url {REDIS_URL}, key_prefix {prefix} (deleted afterwards)\n\n"
        + table(comparisons, labels=("memory", "redis"), ratio_label="redis/mem"),
        {"redis_url": REDIS_URL, "loads": [c.as_json() for c in comparisons]},
        errors,
        [Target("Redis store throughput cost at c=16", (1 - ratio) * 100, 20.0, "%")],
    )
