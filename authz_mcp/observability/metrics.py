"""Prometheus metrics (DESIGN §8), one `Metrics` per running gateway.

Label values are bounded on purpose: methods outside the MCP method table count
as "other", upstreams are config keys, decisions and reasons come from fixed
sets, and no user, session or item name is ever a label.

Under `serve --workers N` the supervisor sets `PROMETHEUS_MULTIPROC_DIR` before
the workers start: prometheus_client then keeps every worker's values in files
there, and whichever worker answers a scrape reports the sum over all of them
(open streams: the sum over the workers alive). Live sessions are the session
store's own count, read at scrape time: the store is shared by every worker and
replica, and Redis expires sessions without telling any of them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

import anyio
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from authz_mcp.errors import StoreUnavailable
from authz_mcp.sessions.store import LiveSessions

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
NO_UPSTREAM = "-"

# Every method either era's clients may send; anything else is "other" (bounded labels).
KNOWN_METHODS = frozenset(
    {
        "initialize",
        "ping",
        "logging/setLevel",
        "tools/list",
        "tools/call",
        "prompts/list",
        "prompts/get",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "resources/subscribe",
        "resources/unsubscribe",
        "completion/complete",
        "server/discover",
        "subscriptions/listen",
    }
)

# Gateway-added time is small (sub-millisecond to tens of ms); upstream time spans tool runs.
_GATEWAY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_UPSTREAM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


# A scrape waits this long at most for the store's count, then reports the rest without it.
STORE_COUNT_TIMEOUT_SECONDS = 2.0


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


class LiveState(Collector):
    """Values read at scrape time: the upstreams and policy of the process that answers the
    scrape, and the live sessions of the store that every process shares."""

    def __init__(
        self,
        upstreams: Callable[[], Mapping[str, bool]],
        policy_version: Callable[[], str],
        live_sessions: Callable[[], Awaitable[LiveSessions]],
    ) -> None:
        self._upstreams = upstreams
        self._policy_version = policy_version
        self._live_sessions = live_sessions
        self.sessions: LiveSessions | None = None
        """What the next `collect` reports as live sessions (set by `Metrics.exposition`)."""

    async def read_store(self) -> LiveSessions | None:
        """The store's count; None if the store cannot say. Bounded in time: a store that hangs
        or is down costs the scrape this metric only."""
        with anyio.move_on_after(STORE_COUNT_TIMEOUT_SECONDS):
            try:
                return await self._live_sessions()
            except StoreUnavailable:
                logger.warning("metrics: the session store cannot count live sessions")
        return None

    def collect(self) -> Iterable[Metric]:
        if self.sessions is not None:
            live = GaugeMetricFamily(
                "authz_mcp_live_sessions",
                "Live sessions in the session store (all replicas): legacy sessions, and "
                "sessionless clients' per-user records",
                labels=["kind"],
            )
            live.add_metric(["session"], float(self.sessions.sessions))
            live.add_metric(["principal"], float(self.sessions.principals))
            yield live
        up = GaugeMetricFamily(
            "authz_mcp_upstream_up", "Whether the upstream is available (1) or not (0)", labels=["upstream"]
        )
        for name, available in sorted(self._upstreams().items()):
            up.add_metric([name], 1.0 if available else 0.0)
        yield up
        info = GaugeMetricFamily(
            "authz_mcp_policy_info", "The policy version in force (always 1)", labels=["version"]
        )
        info.add_metric([self._policy_version()], 1.0)
        yield info


class Metrics:
    def __init__(self, *, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = (
            multiprocess_dir if multiprocess_dir is not None else os.environ.get(MULTIPROC_ENV)
        )
        self.registry = CollectorRegistry(auto_describe=True)
        self._live: LiveState | None = None
        registry = self.registry
        self.requests = Counter(
            "authz_mcp_requests",
            "MCP requests served, by era, method, upstream and decision",
            ["era", "method", "upstream", "decision"],
            registry=registry,
        )
        self.auth_failures = Counter(
            "authz_mcp_auth_failures",
            "Refused authentications, by the reason logged for each",
            ["reason"],
            registry=registry,
        )
        self.http_responses = Counter(
            "authz_mcp_http_responses", "HTTP responses by status class", ["status_class"], registry=registry
        )
        self.gateway_seconds = Histogram(
            "authz_mcp_gateway_added_seconds",
            "Time an MCP request spent in the gateway itself (total minus upstream time)",
            ["method"],
            buckets=_GATEWAY_BUCKETS,
            registry=registry,
        )
        self.upstream_seconds = Histogram(
            "authz_mcp_upstream_request_seconds",
            "Time spent waiting on an upstream for one forwarded request",
            ["upstream"],
            buckets=_UPSTREAM_BUCKETS,
            registry=registry,
        )
        self.sessions_opened = Counter(
            "authz_mcp_sessions_opened", "Legacy sessions opened by initialize", registry=registry
        )
        self.open_streams = Gauge(
            "authz_mcp_open_streams",
            "Open long-lived client connections: GET streams, subscriptions/listen, "
            "HTTP+SSE connections and WebSockets",
            ["kind"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.policy_reloads = Counter(
            "authz_mcp_policy_reloads",
            "Policy reloads that swapped in a new version (applied) or kept the old one (rejected)",
            ["result"],
            registry=registry,
        )
        self.rate_limited = Counter(
            "authz_mcp_rate_limited",
            "Requests refused by a rate limit, by the kind of limit",
            ["limit"],
            registry=registry,
        )
        self.store_errors = Counter(
            "authz_mcp_store_errors",
            "Requests and readiness checks that failed because the store was unavailable",
            registry=registry,
        )

    def count_auth_failure(self, reason: str) -> None:
        self.auth_failures.labels(reason).inc()

    @contextmanager
    def open_stream(self, kind: str) -> Iterator[None]:
        """Count a client connection of `kind` (get, listen, sse, websocket) while it is open."""
        gauge = self.open_streams.labels(kind)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()

    def watch_live_state(
        self,
        upstreams: Callable[[], Mapping[str, bool]],
        policy_version: Callable[[], str],
        live_sessions: Callable[[], Awaitable[LiveSessions]],
    ) -> None:
        self._live = LiveState(upstreams, policy_version, live_sessions)
        self.registry.register(self._live)

    async def exposition(self) -> bytes:
        """The text format of every metric; summed over all workers in multiprocess mode."""
        if self._live is not None:
            sessions = await self._live.read_store()
            # Set and rendered with no await between: each scrape reports the count it read.
            self._live.sessions = sessions
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        if self._live is not None:
            registry.register(self._live)
        return generate_latest(registry)
