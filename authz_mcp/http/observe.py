"""The outermost ASGI layer: `/metrics`, HTTP status counts and one access line per request.

`/metrics` is answered here, before the Host/Origin guard and never behind the
MCP bearer check (Prometheus scrapes by pod address and has no token); an
optional allow-list of client networks guards it instead. With a separate
metrics port, that listener answers `/metrics` only, and the main port does not.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Any

from opentelemetry.context import Context

from authz_mcp.auth.identity import Identity
from authz_mcp.config.operations import LoggingConfig, MetricsConfig
from authz_mcp.http.asgi import ASGIApp, Message, Receive, Scope, Send, send_empty
from authz_mcp.observability.metrics import Metrics, status_class
from authz_mcp.observability.tracing import extract

access_logger = logging.getLogger("authz_mcp.access")

METRICS_PATH = "/metrics"
ACCESS_KEY = "authz_mcp.access"
"""Where the endpoint notes, in the ASGI scope, what the access line should name."""
CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"


def note_access(scope: Scope, identity: Identity, method: str) -> None:
    noted = scope.get(ACCESS_KEY)
    if isinstance(noted, dict):
        noted["user"] = identity.subject
        noted["mcp_method"] = method


def trace_parent(scope: Scope) -> Context | None:
    headers = {
        key.decode("latin-1"): value.decode("latin-1")
        for key, value in scope.get("headers", ())
        if key in (b"traceparent", b"tracestate")
    }
    return extract(headers)


class ObservedApp:
    def __init__(
        self, app: ASGIApp, metrics: Metrics, config: MetricsConfig, logging_config: LoggingConfig
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.config = config
        self.access_log = logging_config.access_log
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in config.allow]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        on_metrics_port = self.config.port is not None and _local_port(scope) == self.config.port
        serves_metrics = on_metrics_port or (self.config.port is None and self.config.enabled)
        if serves_metrics and scope["path"] == METRICS_PATH:
            await self._metrics(scope, send)
            return
        if on_metrics_port:
            await send_empty(send, 404)
            return
        await self._observed(scope, receive, send)

    async def _observed(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        noted: dict[str, Any] = {}
        scope[ACCESS_KEY] = noted
        status = 0
        session: str | None = None

        async def observing_send(message: Message) -> None:
            nonlocal status, session
            if message["type"] == "http.response.start":
                status = message["status"]
                for key, value in message.get("headers", ()):
                    if key == b"mcp-session-id":
                        session = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            self.metrics.http_responses.labels(status_class(status or 500)).inc()
            if self.access_log:
                self._log(scope, noted, status, session, time.perf_counter() - started)

    def _log(
        self, scope: Scope, noted: dict[str, Any], status: int, session: str | None, elapsed: float
    ) -> None:
        if session is None:
            for key, value in scope.get("headers", ()):
                if key == b"mcp-session-id":
                    session = value.decode("latin-1")
        client = scope.get("client")
        fields = {
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round(elapsed * 1000, 3),
            "client": client[0] if client else None,
            "user": noted.get("user"),
            "mcp_method": noted.get("mcp_method"),
            # A session id is a bearer-like handle: only its prefix, as in the audit log.
            "session": session[:8] if session else None,
        }
        access_logger.info(
            "%s %s %s %.1fms",
            scope["method"],
            scope["path"],
            status,
            elapsed * 1000,
            extra={"access": fields},
        )

    async def _metrics(self, scope: Scope, send: Send) -> None:
        if self.networks and not self._allowed(scope):
            await send_empty(send, 403)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send_empty(send, 405, {"Allow": "GET, HEAD"})
            return
        body = await self.metrics.exposition()
        headers = [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})

    def _allowed(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def _local_port(scope: Scope) -> int | None:
    server = scope.get("server")
    return int(server[1]) if server and len(server) > 1 and server[1] is not None else None
