"""Gateway overhead: tools/call and tools/list through authz-mcp against the upstream directly.

The demo upstream carries 100 extra tools so that tools/list holds a realistic catalog; the
policy grants the bench user every tool. Both sides run each load in rounds that alternate
which goes first, so drift of the machine falls on both alike.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bench import services
from bench.load import RoundResult, Scenario, Side, run_round
from bench.peers import peer
from bench.report import Comparison, cpu_lines, table
from bench.scenarios.base import Context, Outcome, Settings, Target, client, progress
from bench.wire import McpSession, ReplyError

NAME = "overhead"
EXTRA_TOOLS = 100
PEER_LOAD = Scenario("tools/call", 16)
FLOOR_LOADS = (Scenario("tools/call", 1), Scenario("tools/call", 16))
PEER_TUNING = "one shared upstream client, legacy era to the upstream, JWTVerifier"
FLOOR = "a bare relay, uvicorn in and aiohttp out, nothing checked (bench/peers/bare_relay.py)"
LOADS = (
    Scenario("tools/call", 1),
    Scenario("tools/call", 16),
    Scenario("tools/list", 1),
    Scenario("tools/list", 16),
)


@contextlib.asynccontextmanager
async def open_side(
    name: str,
    url: str,
    *,
    echo_tool: str,
    token: str | None,
    sessions: int,
    tool_count: int | None = None,
    processes: Mapping[str, int] | None = None,
) -> AsyncIterator[Side]:
    """`sessions` initialized sessions on one keep-alive client; `tool_count` defaults to the first list."""
    async with client(sessions * 2) as http:
        opened = [McpSession(http, url, index=i, echo_tool=echo_tool, token=token) for i in range(sessions)]
        for session in opened:
            await session.open()
        names = await opened[0].list_tools()
        if echo_tool not in names:
            raise ReplyError(f"{name}: tools/list does not offer {echo_tool!r}")
        if tool_count is not None and len(names) != tool_count:
            progress(f"warning: {name} lists {len(names)} tools, direct lists {tool_count}")
        try:
            count = tool_count if tool_count is not None else len(names)
            yield Side(name, opened, echo_tool, count, processes or {})
        finally:
            for session in opened:
                with contextlib.suppress(httpx.HTTPError):
                    await session.close()


async def compare(settings: Settings, load: Scenario, reference: Side, measured: Side) -> Comparison:
    """`load` on both sides in alternating rounds, after a warm-up of each."""
    for side in (reference, measured):
        await run_round(side, load, settings.warmup_seconds)
    results: dict[str, list[RoundResult]] = {reference.name: [], measured.name: []}
    for index in range(settings.rounds):
        order = (reference, measured) if index % 2 == 0 else (measured, reference)
        for side in order:
            results[side.name].append(await run_round(side, load, settings.seconds))
        r, m = results[reference.name][-1], results[measured.name][-1]
        progress(
            f"{load.name:<17} round {index + 1}/{settings.rounds}: "
            f"{reference.name} {len(r.latencies) / r.elapsed:7.1f}/s ({r.errors} err), "
            f"{measured.name} {len(m.latencies) / m.elapsed:7.1f}/s ({m.errors} err)"
        )
    return Comparison.of(load, results[reference.name], results[measured.name])


@dataclass(frozen=True)
class PeerTarget:
    """The FastMCP proxy, reached with a token for its own audience."""

    url: str
    token: str
    pid: int
    version: str


@dataclass(frozen=True)
class Measured:
    comparisons: list[Comparison]
    """Direct against the gateway, for each of LOADS."""
    versus_floor: list[Comparison]
    """The bare relay against the gateway, for each of FLOOR_LOADS."""
    versus_peer: Comparison | None


async def _measure(
    settings: Settings,
    upstream: services.Upstream,
    gw: services.Gateway,
    token: str,
    floor: peer.Relay,
    fastmcp: PeerTarget | None,
) -> Measured:
    sessions = max(load.concurrency for load in LOADS)
    async with (
        open_side(
            "direct",
            upstream.url,
            echo_tool="echo",
            token=None,
            sessions=sessions,
            processes={"upstream": upstream.pid},
        ) as direct,
        open_side(
            "gateway",
            gw.url,
            echo_tool=f"{services.UPSTREAM_NAME}__echo",
            token=token,
            sessions=sessions,
            tool_count=direct.tool_count,
            processes={"gateway": gw.process.pid, "upstream": upstream.pid},
        ) as gateway,
    ):
        progress(f"catalog: {direct.tool_count} tools; {sessions} sessions per side")
        comparisons = [await compare(settings, load, direct, gateway) for load in LOADS]
        async with open_side(
            "relay",
            floor.url,
            echo_tool="echo",
            token=None,
            sessions=sessions,
            processes={"relay": floor.process.pid, "upstream": upstream.pid},
        ) as relay:
            versus_floor = [await compare(settings, load, relay, gateway) for load in FLOOR_LOADS]
        if fastmcp is None:
            return Measured(comparisons, versus_floor, None)
        async with open_side(
            "fastmcp",
            fastmcp.url,
            echo_tool="echo",
            token=fastmcp.token,
            sessions=PEER_LOAD.concurrency,
            processes={"fastmcp": fastmcp.pid, "upstream": upstream.pid},
        ) as peer_side:
            return Measured(comparisons, versus_floor, await compare(settings, PEER_LOAD, peer_side, gateway))


def targets(comparisons: list[Comparison], versus_peer: Comparison | None) -> list[Target]:
    by_name = {c.scenario: c for c in comparisons}
    call_1, call_16 = by_name["tools/call c=1"], by_name["tools/call c=16"]
    gateway_cpu = call_16.gateway.cpu_ms_per_request
    upstream_cpu_direct = call_16.direct.cpu_ms_per_request["upstream"]
    return [
        Target("tools/call c=16 gateway/direct throughput", call_16.throughput_ratio, 0.75, "x", True),
        Target("tools/call c=1 added p50", call_1.added_p50_ms, 0.5, "ms"),
        Target("tools/call c=1 added p99", call_1.added_p99_ms, 3.0, "ms"),
        Target("tools/call c=16 gateway CPU per call", gateway_cpu["gateway"], 0.6, "ms"),
        Target(
            "tools/call c=16 upstream CPU per call, through the gateway over direct",
            gateway_cpu["upstream"] / upstream_cpu_direct if upstream_cpu_direct else float("nan"),
            1.0,
            "x",
        ),
    ] + (
        [
            Target(
                "tools/call c=16 gateway/FastMCP proxy throughput",
                versus_peer.throughput_ratio,
                2.5,
                "x",
                True,
            )
        ]
        if versus_peer is not None
        else []
    )


def _start_peer(
    context: Context, stack: contextlib.ExitStack, upstream: services.Upstream
) -> PeerTarget | None:
    if not context.settings.peer:
        return None
    issuer_url = context.issuer.issuer_url
    try:
        running = stack.enter_context(
            peer.fastmcp_proxy(context.workdir, upstream_url=upstream.url, issuer_url=issuer_url)
        )
    except services.StartError as exc:
        progress(f"the FastMCP proxy peer is left out: {exc}")
        return None
    token = context.issuer.mint(services.BENCH_USER, audience=running.audience, expires_in=3600)
    progress(f"peer: FastMCP {running.version} proxy at {running.url}")
    return PeerTarget(running.url, token, running.process.pid, running.version)


def run(context: Context) -> Outcome:
    with (
        contextlib.ExitStack() as stack,
        services.demo_upstream_process(context.workdir, EXTRA_TOOLS) as upstream,
        services.gateway(
            context.workdir,
            issuer_url=context.issuer.issuer_url,
            upstream_url=upstream.url,
            options=services.GatewayOptions(upstream_protocol=context.settings.upstream_protocol),
        ) as gw,
        peer.bare_relay(context.workdir, upstream_url=upstream.url) as floor,
    ):
        token = context.issuer.mint(services.BENCH_USER, audience=gw.audience, expires_in=3600)
        progress(f"upstream {upstream.url}, gateway {gw.url}")
        fastmcp = _start_peer(context, stack, upstream)
        try:
            measured = asyncio.run(_measure(context.settings, upstream, gw, token, floor, fastmcp))
        except ReplyError as exc:
            raise ReplyError(f"{exc}\ngateway stderr:\n{services.tail(gw.stderr_path)}") from exc
    comparisons, versus_floor, versus_peer = measured.comparisons, measured.versus_floor, measured.versus_peer
    every = comparisons + versus_floor + ([versus_peer] if versus_peer is not None else [])
    errors = sum(c.direct.errors + c.gateway.errors for c in every)
    if errors:
        progress(f"gateway stderr (last lines):\n{services.tail(gw.stderr_path)}")
    text = f"upstream: demo server with {EXTRA_TOOLS} extra tools\n\n{table(comparisons)}\n\n"
    text += cpu_lines(comparisons)
    floor_labels = ("relay", "gateway")
    text += f"\n\nthe floor: {FLOOR}\n\n"
    text += table(versus_floor, floor_labels, "gw/relay") + "\n\n" + cpu_lines(versus_floor, floor_labels)
    data: dict[str, Any] = {
        "extra_tools": EXTRA_TOOLS,
        "loads": [c.as_json() for c in comparisons],
        "floor": {"name": FLOOR, "loads": [c.as_json() for c in versus_floor]},
    }
    if versus_peer is not None and fastmcp is not None:
        peer_labels = ("fastmcp", "gateway")
        text += f"\n\nthe peer: FastMCP {fastmcp.version} proxy ({PEER_TUNING})\n\n"
        text += (
            table([versus_peer], peer_labels, "gw/fastmcp") + "\n\n" + cpu_lines([versus_peer], peer_labels)
        )
        data["peer"] = {
            "name": f"FastMCP {fastmcp.version} proxy",
            "tuning": PEER_TUNING,
            **versus_peer.as_json(),
        }
    return Outcome(NAME, text, data, errors, targets(comparisons, versus_peer))
