"""Policy reload of 10,000 rules under load.

While 16 sessions call a tool, the policy file is replaced atomically (write a sibling, rename
it over) by another 10,000-rule version; the reload time runs from the rename to `/readyz`
showing a new `policy_reload.version`. The load runs throughout, and every failed request counts.
"""

from __future__ import annotations

import asyncio
import os
import time

import httpx

from bench import policygen, services
from bench.load import RoundResult
from bench.report import SideSummary
from bench.scenarios.base import Context, Outcome, Target, client, close_all, open_all, progress
from bench.wire import McpSession, ReplyError

NAME = "reload"
TOOLS = 100
CONCURRENCY = 16
_POLL = 0.005
_RELOAD_TIMEOUT = 15.0


async def _version(http: httpx.AsyncClient, gw: services.Gateway) -> str:
    try:
        body = (await http.get(gw.readyz_url)).json()
        return str(body["policy_reload"]["version"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise ReplyError(f"/readyz without a policy_reload.version: {exc!r}") from exc


async def _reload(http: httpx.AsyncClient, gw: services.Gateway, text: str) -> float:
    """Seconds from the atomic replace of the policy file to the new version in /readyz."""
    old = await _version(http, gw)
    staged = gw.policy_path.with_name(gw.policy_path.name + ".new")
    staged.write_text(text, encoding="utf-8")
    written = time.perf_counter()
    os.replace(staged, gw.policy_path)
    while await _version(http, gw) == old:
        if time.perf_counter() - written > _RELOAD_TIMEOUT:
            raise ReplyError(f"policy version still {old} {_RELOAD_TIMEOUT:.0f} s after the replace")
        await asyncio.sleep(_POLL)
    return time.perf_counter() - written


async def _measure(
    context: Context, gw: services.Gateway, versions: list[str]
) -> tuple[list[float], RoundResult]:
    token = context.issuer.mint(services.BENCH_USER, audience=gw.audience, expires_in=3600)
    load = RoundResult()
    stop = asyncio.Event()
    async with client(CONCURRENCY * 2) as http, client(2) as probe:
        sessions = [
            McpSession(http, gw.url, index=i, echo_tool=f"{services.UPSTREAM_NAME}__echo", token=token)
            for i in range(CONCURRENCY)
        ]
        await open_all(sessions, CONCURRENCY)

        async def worker(session: McpSession) -> None:
            while not stop.is_set():
                sent = time.perf_counter()
                try:
                    await session.echo()
                except ReplyError as exc:
                    load.fail(exc)
                    continue
                load.latencies.append(time.perf_counter() - sent)

        started = time.perf_counter()
        workers = [asyncio.create_task(worker(session)) for session in sessions]
        times: list[float] = []
        try:
            for text in versions:
                await asyncio.sleep(context.settings.seconds)
                times.append(await _reload(probe, gw, text))
                progress(
                    f"reload {len(times)}/{len(versions)}: {times[-1] * 1000:.0f} ms, {load.errors} failed"
                )
            await asyncio.sleep(context.settings.seconds)
        finally:
            stop.set()
            await asyncio.gather(*workers)
        load.elapsed = time.perf_counter() - started
        await close_all(sessions)
    return times, load


def run(context: Context) -> Outcome:
    policies = [policygen.generate(TOOLS, seed=seed) for seed in (1, 2, 3)]
    reloads = 2 if context.settings.quick else 6
    versions = [policies[1 + index % 2].text for index in range(reloads)]
    options = services.GatewayOptions(name="reload", policy=policies[0].text)
    with (
        services.demo_upstream(context.workdir, TOOLS, name="reload-upstream") as upstream_url,
        services.gateway(
            context.workdir, issuer_url=context.issuer.issuer_url, upstream_url=upstream_url, options=options
        ) as gw,
    ):
        times, load = asyncio.run(_measure(context, gw, versions))
        if load.errors:
            progress(f"gateway stderr (last lines):\n{services.tail(gw.stderr_path)}")
    summary = SideSummary.of([load])
    worst = max(times)
    table = (
        f"policy lines           {policies[0].lines:>10,}\n"
        f"reloads                {len(times):>10}\n"
        f"reload time            {min(times) * 1000:>10.0f} ms min, "
        f"{sorted(times)[len(times) // 2] * 1000:.0f} ms median, {worst * 1000:.0f} ms max\n"
        f"load, tools/call c={CONCURRENCY}  {summary.rps:>8.1f} req/s, p50 {summary.p50_ms:.2f} ms, "
        f"p99 {summary.p99_ms:.2f} ms\n"
        f"failed requests        {load.errors:>10}"
    )
    return Outcome(
        NAME,
        table,
        {"policy_lines": policies[0].lines, "reload_seconds": times, "load": summary.__dict__},
        load.errors,
        [
            Target("reload of 10,000 rules (worst)", worst * 1000, 1000.0, "ms"),
            Target("failed requests during reloads", float(load.errors), 0.0, "requests"),
        ],
    )
