"""JSON-RPC message handling: validation, method table, error translation."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

import anyio
from opentelemetry.trace import Span

from authz_mcp.errors import (
    AuthzMcpError,
    GatewayError,
    MethodNotFound,
    RequestCancelled,
    UpstreamRpcError,
    jsonrpc_error_response,
)
from authz_mcp.jsonrpc import JSONObject
from authz_mcp.observability.metrics import NO_UPSTREAM, Metrics, method_label
from authz_mcp.observability.tracing import Tracing, mark_error
from authz_mcp.proxy.context import Call
from authz_mcp.proxy.methods.discovery import Discovery
from authz_mcp.proxy.methods.invoke import Invoke
from authz_mcp.proxy.methods.lifecycle import Lifecycle
from authz_mcp.proxy.methods.listing import Listing
from authz_mcp.proxy.methods.modern import Modern
from authz_mcp.proxy.relay import InFlight
from authz_mcp.proxy.results import for_legacy, for_modern, modern_error
from authz_mcp.upstream.base import Upstream, is_shared

logger = logging.getLogger(__name__)

Handler = Callable[[Call], Awaitable[JSONObject]]
MethodTable = dict[str, Handler]

# 2026-07-28 drops initialize, ping, logging/setLevel and resources/(un)subscribe.
_SERVED_IN_BOTH_ERAS = (
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "tools/call",
    "prompts/get",
    "resources/read",
    "completion/complete",
)


def method_tables(
    lifecycle: Lifecycle, listing: Listing, invoke: Invoke, discovery: Discovery, modern: Modern
) -> tuple[MethodTable, MethodTable]:
    """The handler of each method a legacy client may call, and of each a modern one may."""
    methods: MethodTable = {
        "initialize": lifecycle.initialize,
        "ping": lifecycle.ping,
        "logging/setLevel": lifecycle.set_level,
        "tools/list": discovery.list_tools,
        "prompts/list": listing.list_prompts,
        "resources/list": listing.list_resources,
        "resources/templates/list": listing.list_templates,
        "tools/call": discovery.call_tool,
        "prompts/get": invoke.get_prompt,
        "resources/read": invoke.read_resource,
        "resources/subscribe": invoke.subscribe,
        "resources/unsubscribe": invoke.unsubscribe,
        "completion/complete": invoke.complete,
    }
    modern_methods: MethodTable = {
        "server/discover": modern.discover,
        "subscriptions/listen": modern.listen,
        **{name: methods[name] for name in _SERVED_IN_BOTH_ERAS},
    }
    return methods, modern_methods


class Dispatcher:
    """Serves each client request with its method's handler, and each client notification.

    `upstreams`: where a notification is passed on, and which names label metrics;
    `inflight`: the requests a cancellation can reach; `trace_user`: whether spans name the user.
    """

    def __init__(
        self,
        methods: MethodTable,
        modern_methods: MethodTable,
        *,
        upstreams: Mapping[str, Upstream],
        inflight: InFlight,
        metrics: Metrics,
        tracing: Tracing,
        trace_user: bool,
    ) -> None:
        self._methods = methods
        self._modern_methods = modern_methods
        self._upstreams = upstreams
        self._inflight = inflight
        self._metrics = metrics
        self._tracing = tracing
        self._trace_user = trace_user

    def serves_modern(self, method: str) -> bool:
        return method in self._modern_methods

    async def dispatch(self, call: Call) -> JSONObject:
        """Serve one client request: its JSON-RPC response message, observed (one span, metrics).

        Raises only `GatewayError`s whose HTTP status is 5xx (the store is down).
        """
        started = time.perf_counter()
        with self._tracing.request_span(call.method, call.trace_parent) as span:
            outcome = "error"
            try:
                response = await self._dispatch(call)
                error = response.get("error")
                outcome = str(error.get("code")) if isinstance(error, dict) else "ok"
                return response
            finally:
                elapsed = time.perf_counter() - started
                self._observe(call, span, outcome, elapsed)

    def _observe(self, call: Call, span: Span, outcome: str, elapsed: float) -> None:
        method = method_label(call.method)
        upstream = call.upstream if call.upstream in self._upstreams else NO_UPSTREAM
        decision = call.decision or "none"
        metrics = self._metrics
        metrics.requests.labels("modern" if call.modern else "legacy", method, upstream, decision).inc()
        metrics.gateway_seconds.labels(method).observe(max(elapsed - call.upstream_seconds, 0.0))
        if span.is_recording():
            item = call.params.get("name") or call.params.get("uri")
            attributes: dict[str, str] = {
                "mcp.method": call.method,
                "mcp.era": "modern" if call.modern else "legacy",
                "authz_mcp.decision": decision,
                "authz_mcp.status": outcome,
            }
            if isinstance(item, str):
                attributes["mcp.tool" if call.method == "tools/call" else "mcp.item"] = item
            if call.upstream is not None:
                attributes["authz_mcp.upstream"] = call.upstream
            if self._trace_user:
                attributes["enduser.id"] = call.identity.subject
            span.set_attributes(attributes)
            if outcome != "ok":
                mark_error(span, outcome)

    async def _dispatch(self, call: Call) -> JSONObject:
        handler = (self._modern_methods if call.modern else self._methods).get(call.method)
        try:
            if handler is None:
                raise MethodNotFound(f"Method not found: {call.method}")
            with anyio.CancelScope() as scope:
                key = self._inflight.key(call.session_key, call.request_id)
                self._inflight.scopes[key] = scope
                try:
                    result = await handler(call)
                finally:
                    self._inflight.scopes.pop(key, None)
            if scope.cancelled_caught:
                return jsonrpc_error_response(call.request_id, RequestCancelled())
            shaped = for_modern(call.method, result) if call.modern else for_legacy(result)
            return {"jsonrpc": "2.0", "id": call.request_id, "result": shaped}
        except UpstreamRpcError as exc:
            error = _sanitized(exc.error)
            if call.modern:
                error = modern_error(error)
            return {"jsonrpc": "2.0", "id": call.request_id, "error": error}
        except GatewayError as exc:
            if exc.http_status >= 500:
                # The gateway itself cannot serve (store outage): an HTTP-level error, so
                # the client sees 503 and retries, rather than a failed request.
                raise
            response = jsonrpc_error_response(call.request_id, exc)
            if call.modern:
                response["error"] = modern_error(response["error"])
            return response
        except Exception:  # boundary: one request's bug must not become a 500 or a traceback
            logger.exception("%s failed unexpectedly", call.method)
            return jsonrpc_error_response(call.request_id, GatewayError())

    async def handle_notification(self, call: Call) -> None:
        """Client notifications: cancellation and roots changes; others are accepted and dropped."""
        if call.method == "notifications/cancelled":
            request_id = call.params.get("requestId")
            if isinstance(request_id, str | int) and not isinstance(request_id, bool):
                self._inflight.cancel(call.session_key, request_id)
            return
        if call.method == "notifications/roots/list_changed" and call.session is not None:
            for name, handle in call.session.upstream_sessions.items():
                if not is_shared(handle) and name in self._upstreams:
                    try:
                        await self._upstreams[name].notify(handle, call.method, call.params or None)
                    except AuthzMcpError as exc:
                        # The client only notified: nothing it sent can fail. An expired upstream
                        # session is renewed by the next request, whose new session asks for the
                        # roots afresh.
                        logger.info("upstream %s: roots change not delivered (%r)", name, exc)


def _sanitized(error: JSONObject) -> JSONObject:
    """An upstream's error object, reduced to the fields JSON-RPC defines."""
    code = error.get("code")
    message = error.get("message")
    clean: JSONObject = {
        "code": code if isinstance(code, int) and not isinstance(code, bool) else -32603,
        "message": message if isinstance(message, str) else "Upstream error",
    }
    if "data" in error:
        clean["data"] = error["data"]
    return clean
