"""Scale of one gateway process: 100,000 held sessions, 1,000 open streams, one fan-out.

- **tools/list**: one request at a time, through the gateway (answered from the user's cached
  view) and to the upstream directly, in alternating rounds; median latency of each.
- **streams**: 1,000 sessions are initialized through the real endpoint, then each opens its
  GET stream; the gateway's VmRSS is read from /proc before and after the streams open. A
  tool call then registers a new tool on the upstream, which sends `tools/list_changed`; the
  gateway refetches the catalog and tells every stream whose view changed (all of them). The
  fan-out time runs from sending that call to the last stream receiving the notice, so it
  includes the call's own round trip and the catalog refetch: an upper bound. On two shared
  cores that wall time is mostly waiting for a core, so the gateway's own CPU time over the
  same window (from /proc, the call included) is reported beside it.
- **sessions**: 100,000 sessions at the real endpoint would take about 8 minutes on two
  shared cores, so they are created in-process (bench/held_sessions_inprocess.py): the
  gateway's runtime opened from the same config, and `Gateway.create_session`, which the
  `initialize` handler calls, run 100,000 times. VmRSS of that process before and after.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench import services
from bench.scenarios.base import Context, Outcome, Target, client, demo_gateway, open_all, progress
from bench.wire import PROTOCOL_VERSION, McpSession, ReplyError

NAME = "scale"
SESSIONS = 100_000
STREAMS = 1_000
_PARALLEL = 32
_MIB = 1024 * 1024
_FANOUT_TIMEOUT = 60.0
_LIST_CHANGED = b"notifications/tools/list_changed"


class _Stream:
    """One open GET stream on a raw socket, noting when it first hears `tools/list_changed`.

    Raw asyncio streams rather than httpx: a thousand httpx streams in one client process
    spend more time parsing than the gateway spends sending, and the fan-out would measure
    the client."""

    def __init__(self, url: str, session: McpSession, token: str) -> None:
        assert session.session_id is not None
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n"
            f"Authorization: Bearer {token}\r\nMcp-Session-Id: {session.session_id}\r\n"
            f"MCP-Protocol-Version: {PROTOCOL_VERSION}\r\n\r\n"
        ).encode()
        self.opened = asyncio.Event()
        self.heard_at: float | None = None
        self.heard = asyncio.Event()

    async def hold(self) -> None:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        try:
            writer.write(self._request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise ReplyError(f"GET stream answered {head[:40]!r}")
            self.opened.set()
            seen = b""
            while chunk := await reader.read(65536):
                seen = seen[-len(_LIST_CHANGED) :] + chunk
                if _LIST_CHANGED in seen:
                    self.heard_at = time.perf_counter()
                    self.heard.set()
                    return
        finally:
            writer.close()


async def _streams(context: Context, gw: services.Gateway, count: int) -> dict[str, float]:
    token = context.issuer.mint(services.BENCH_USER, audience=gw.audience, expires_in=3600)
    echo_tool = f"{services.UPSTREAM_NAME}__echo"
    async with client(_PARALLEL) as http:
        first = McpSession(http, gw.url, index=0, echo_tool=echo_tool, token=token)
        await first.open()
        await first.echo()
        sessions = [McpSession(http, gw.url, index=i, echo_tool=echo_tool, token=token) for i in range(count)]
        await open_all(sessions, _PARALLEL)
        before = services.resident_bytes(gw.process.pid)
        streams = [_Stream(gw.url, session, token) for session in sessions]
        holders = [asyncio.create_task(stream.hold()) for stream in streams]
        try:
            opened = asyncio.gather(*(stream.opened.wait() for stream in streams))
            await asyncio.wait_for(opened, _FANOUT_TIMEOUT)
            after = services.resident_bytes(gw.process.pid)
            cpu_before = services.cpu_seconds(gw.process.pid)
            started = time.perf_counter()
            await first.call_tool(f"{services.UPSTREAM_NAME}__add_dynamic_tool", {"name": "scale_added"})
            replied = time.perf_counter()
            await asyncio.wait_for(
                asyncio.gather(*(stream.heard.wait() for stream in streams)), _FANOUT_TIMEOUT
            )
            cpu_after = services.cpu_seconds(gw.process.pid)
        finally:
            for holder in holders:
                holder.cancel()
            await asyncio.gather(*holders, return_exceptions=True)
    last = max(stream.heard_at or 0.0 for stream in streams)
    first_heard = min(stream.heard_at or last for stream in streams)
    return {
        "streams": count,
        "rss_before_streams_bytes": before,
        "rss_after_streams_bytes": after,
        "fanout_from_call_ms": (last - started) * 1000,
        "fanout_from_reply_ms": (last - replied) * 1000,
        "fanout_first_to_last_ms": (last - first_heard) * 1000,
        "fanout_gateway_cpu_ms": (cpu_after - cpu_before) * 1000,
    }


async def _list_rounds(context: Context, gw: services.Gateway, upstream_url: str) -> dict[str, float]:
    """tools/list one at a time, the gateway (the user's cached view) and the upstream directly
    in alternating rounds; median latency of each side."""
    token = context.issuer.mint(services.BENCH_USER, audience=gw.audience, expires_in=3600)
    echo_tool = f"{services.UPSTREAM_NAME}__echo"
    rounds, per_round = (2, 100) if context.settings.quick else (6, 200)
    times: dict[str, list[float]] = {"gateway": [], "direct": []}
    async with client(2) as http:
        sides = {
            "gateway": McpSession(http, gw.url, index=0, echo_tool=echo_tool, token=token),
            "direct": McpSession(http, upstream_url, index=0, echo_tool="echo", token=None),
        }
        for session in sides.values():
            await session.open()
            await session.list_tools()
        for number in range(rounds):
            order = ("gateway", "direct") if number % 2 == 0 else ("direct", "gateway")
            for side in order:
                for _ in range(per_round):
                    started = time.perf_counter()
                    if not await sides[side].list_tools():
                        raise ReplyError(f"{side}: tools/list answered no tools")
                    times[side].append(time.perf_counter() - started)
    return {f"list_{side}_p50_ms": statistics.median(values) * 1000 for side, values in times.items()}


def _held_sessions(config_path: Path, count: int) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.held_sessions_inprocess", str(config_path), str(count)]
    done = subprocess.run(command, cwd=services.PROJECT_ROOT, capture_output=True, check=False, timeout=900)
    if done.returncode != 0:
        raise ReplyError(f"in-process sessions failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    data: dict[str, float] = json.loads(done.stdout)
    return data


def _load() -> str:
    return Path("/proc/loadavg").read_text(encoding="ascii").split(" ")[0]


def run(context: Context) -> Outcome:
    sessions = 20_000 if context.settings.quick else SESSIONS
    with demo_gateway(context) as (upstream_url, gw):
        lists = asyncio.run(_list_rounds(context, gw, upstream_url))
        lists_load = _load()
        streams = asyncio.run(_streams(context, gw, STREAMS))
        streams_load = _load()
        progress(f"{STREAMS} streams measured (load {streams_load})")
        held = _held_sessions(context.workdir / "gateway.yaml", sessions)
        held_load = _load()
        progress(f"{sessions} sessions held in-process (load {held_load})")
    per_session = (held["rss_after_bytes"] - held["rss_before_bytes"]) / sessions
    projected = held["rss_before_bytes"] + per_session * SESSIONS
    stream_cost = streams["rss_after_streams_bytes"] - streams["rss_before_streams_bytes"]
    table = (
        f"sessions held (in-process)   {sessions:>10,}   load {held_load}\n"
        f"  RSS before                 {held['rss_before_bytes'] / _MIB:>10.1f} MiB\n"
        f"  RSS after                  {held['rss_after_bytes'] / _MIB:>10.1f} MiB\n"
        f"  per session                {per_session:>10.0f} B\n"
        f"  RSS at 100,000 sessions    {projected / _MIB:>10.1f} MiB"
        + ("" if sessions == SESSIONS else " (projected)")
        + f"\nGET streams (real endpoint)  {STREAMS:>10,}   load {streams_load}\n"
        f"  RSS before streams         {streams['rss_before_streams_bytes'] / _MIB:>10.1f} MiB\n"
        f"  RSS with streams open      {streams['rss_after_streams_bytes'] / _MIB:>10.1f} MiB\n"
        f"  added by the streams       {stream_cost / _MIB:>10.1f} MiB\n"
        f"list_changed to every stream\n"
        f"  from the call sent         {streams['fanout_from_call_ms']:>10.1f} ms\n"
        f"  from the call's reply      {streams['fanout_from_reply_ms']:>10.1f} ms\n"
        f"  first to last stream       {streams['fanout_first_to_last_ms']:>10.1f} ms\n"
        f"  gateway CPU, call included {streams['fanout_gateway_cpu_ms']:>10.1f} ms\n"
        f"tools/list, one at a time                 load {lists_load}\n"
        f"  gateway (cached view) p50  {lists['list_gateway_p50_ms']:>10.2f} ms\n"
        f"  upstream directly p50      {lists['list_direct_p50_ms']:>10.2f} ms"
    )
    data = {
        **streams,
        **lists,
        "load_lists": lists_load,
        **{f"held_{key}": value for key, value in held.items()},
        "held_sessions": sessions,
        "rss_at_100000_sessions_bytes": projected,
        "load_streams": streams_load,
        "load_sessions": held_load,
    }
    return Outcome(
        NAME,
        table,
        data,
        0,
        [
            Target("RSS with 100,000 sessions (in-process)", projected / _MIB, 250.0, "MiB"),
            Target("RSS added by 1,000 GET streams", stream_cost / _MIB, 100.0, "MiB"),
            Target("list_changed to 1,000 streams", streams["fanout_from_call_ms"], 100.0, "ms"),
            Target(
                "tools/list p50, cached view over direct",
                lists["list_gateway_p50_ms"] / lists["list_direct_p50_ms"],
                1.0,
                "x",
            ),
        ],
    )
