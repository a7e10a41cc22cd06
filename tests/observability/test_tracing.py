"""Traces: one span per MCP request, W3C trace context from the client and on to HTTP upstreams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from authz_mcp.config import parse_config
from authz_mcp.observability.tracing import Tracing
from authz_mcp.runtime import open_runtime
from tests.support.gateway import gateway_config, running_demo_http
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession
from tests.support.recording_proxy import RecordingProxy, recording_proxy

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CLIENT_SPAN}-01"
BASE = "http://127.0.0.1:8080"


@pytest.fixture(scope="module")
def upstream() -> Iterator[RecordingProxy]:
    with running_demo_http() as demo, recording_proxy(demo.url) as proxy:
        yield proxy


@asynccontextmanager
async def traced_gateway(
    issuer: RunningIssuer, upstream: RecordingProxy, tmp_path: Path, **tracing: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, InMemorySpanExporter]]:
    raw = gateway_config(
        tmp_path,
        port=8080,
        issuer_url=issuer.url,
        upstreams={"demo": {"transport": "streamable-http", "url": upstream.url, "protocol": "legacy"}},
        tracing=tracing,
    )
    config = parse_config(raw)
    exporter = InMemorySpanExporter()
    async with open_runtime(config, tracing=Tracing(config.tracing, exporter=exporter)) as runtime:
        transport = httpx.ASGITransport(app=runtime.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=20) as http:
            yield http, exporter


def _spans(exporter: InMemorySpanExporter, method: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == method]


async def test_a_tool_call_is_one_span_whose_context_reaches_the_upstream(
    issuer: RunningIssuer, upstream: RecordingProxy, tmp_path: Path
) -> None:
    async with traced_gateway(issuer, upstream, tmp_path) as (http, exporter):
        session = RawSession(http, f"{BASE}/mcp", issuer.issuer.mint("bob", audience=f"{BASE}/mcp"))
        await session.initialize()
        upstream.seen.clear()
        http.headers["traceparent"] = TRACEPARENT
        reply = await session.request("tools/call", {"name": "demo__echo", "arguments": {"text": "hi"}})
        assert "result" in reply

        (span,) = _spans(exporter, "tools/call")
        assert span.attributes is not None
        assert dict(span.attributes) == {
            "mcp.method": "tools/call",
            "mcp.era": "legacy",
            "mcp.tool": "demo__echo",
            "authz_mcp.upstream": "demo",
            "authz_mcp.decision": "allow",
            "authz_mcp.status": "ok",
        }
        assert span.context is not None
        assert format(span.context.trace_id, "032x") == TRACE_ID
        assert span.parent is not None
        assert format(span.parent.span_id, "016x") == CLIENT_SPAN
        # The call, and the upstream session it opened on first use, all carry the span's context.
        expected = f"00-{TRACE_ID}-{format(span.context.span_id, '016x')}-01"
        assert upstream.seen
        assert [headers.get("traceparent") for headers in upstream.seen] == [expected] * len(upstream.seen)


async def test_a_denied_call_is_a_span_with_the_decision_and_error_and_no_upstream_hop(
    issuer: RunningIssuer, upstream: RecordingProxy, tmp_path: Path
) -> None:
    async with traced_gateway(issuer, upstream, tmp_path) as (http, exporter):
        session = RawSession(http, f"{BASE}/mcp", issuer.issuer.mint("bob", audience=f"{BASE}/mcp"))
        await session.initialize()
        upstream.seen.clear()
        reply = await session.request("tools/call", {"name": "demo__delete_record", "arguments": {}})
        assert reply["error"]["code"] == -32602

        (span,) = _spans(exporter, "tools/call")
        assert span.attributes is not None
        assert span.attributes["authz_mcp.decision"] == "deny"
        assert span.attributes["authz_mcp.status"] == "-32602"
        assert span.status.status_code.name == "ERROR"
        assert "enduser.id" not in span.attributes
        assert upstream.seen == []


async def test_the_user_id_is_on_spans_only_when_configured(
    issuer: RunningIssuer, upstream: RecordingProxy, tmp_path: Path
) -> None:
    async with traced_gateway(issuer, upstream, tmp_path, include_user=True) as (http, exporter):
        session = RawSession(http, f"{BASE}/mcp", issuer.issuer.mint("bob", audience=f"{BASE}/mcp"))
        await session.initialize()
        await session.request("tools/list")

        (span,) = _spans(exporter, "tools/list")
        assert span.attributes is not None
        assert span.attributes["enduser.id"] == "bob"
        assert span.parent is None
