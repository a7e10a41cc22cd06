"""OpenTelemetry traces: one span per MCP request (DESIGN §8).

The span's context is the current OpenTelemetry context while the request is
served, so the HTTP upstream client injects it as a W3C `traceparent` into what
it sends. A client's own `traceparent` is accepted as the parent; with tracing
turned off the client's context is still passed on unchanged, so a trace that
started before the gateway continues behind it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from authz_mcp import __version__
from authz_mcp.config.operations import TracingConfig
from authz_mcp.errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger(__name__)

TRACER_NAME = "authz_mcp"


class Tracing:
    def __init__(self, config: TracingConfig, exporter: SpanExporter | None = None) -> None:
        """`exporter` replaces the configured one (tests pass the SDK's in-memory exporter)."""
        self.config = config
        self._provider: TracerProvider | None = None
        if exporter is None and config.exporter != "none":
            exporter = _configured_exporter(config)
        if exporter is None:
            self.tracer: trace.Tracer = trace.NoOpTracer()
            return
        # The SDK only when spans are exported: the API's no-op tracer needs none of it.
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio

        resource = Resource.create({"service.name": config.service_name, "service.version": __version__})
        self._provider = TracerProvider(
            resource=resource, sampler=ParentBasedTraceIdRatio(config.sample_ratio)
        )
        # An exporter given in code is read back at once; a network one is batched off the hot path.
        processor = (
            SimpleSpanProcessor(exporter) if config.exporter == "none" else BatchSpanProcessor(exporter)
        )
        self._provider.add_span_processor(processor)
        self.tracer = self._provider.get_tracer(TRACER_NAME, __version__)

    @contextmanager
    def request_span(self, name: str, parent: Context | None) -> Iterator[Span]:
        """A server span made current for the request; the caller sets its attributes."""
        with self.tracer.start_as_current_span(
            name, context=parent, kind=SpanKind.SERVER, record_exception=False, set_status_on_exception=False
        ) as span:
            yield span

    def shutdown(self) -> None:
        if self._provider is not None:
            self._provider.shutdown()


def extract(headers: Mapping[str, str]) -> Context | None:
    """The W3C trace context a client sent (`traceparent`, `tracestate`), if any."""
    if "traceparent" not in headers:
        return None
    return propagate.extract(headers)


def inject(headers: MutableMapping[str, str]) -> None:
    """Add the current trace context to headers going upstream."""
    propagate.inject(headers)


def mark_error(span: Span, description: str) -> None:
    span.set_status(Status(StatusCode.ERROR, description))


def _configured_exporter(config: TracingConfig) -> SpanExporter:
    if config.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise ConfigError(
            "tracing.exporter: otlp needs the OTLP exporter: pip install 'authz-mcp[otlp]'"
        ) from exc
    exporter: SpanExporter = OTLPSpanExporter(endpoint=config.endpoint, headers=dict(config.headers))
    return exporter
