"""The SDK side of tracing (the ``tracing`` extra), imported only when tracing is turned on: the exporter
wrapper that scrubs every span, and our tracer provider around it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Status

from databrug.observability.tracing import SERVICE_NAME, AllowList


def service_resource(version: str) -> Resource:
    """The resource every span carries: service name and version, nothing of the host or environment
    (``Resource.create`` would read ``OTEL_RESOURCE_ATTRIBUTES`` and add the process's details)."""
    return Resource({"service.name": SERVICE_NAME, "service.version": version})


class ScrubbingExporter(SpanExporter):
    """A ``SpanExporter`` that hands its exporter a copy of each span with only what the allow-list admits."""

    def __init__(self, inner: SpanExporter, allow: AllowList, version: str) -> None:
        self._inner = inner
        self._allow = allow
        self._resource = service_resource(version)

    def scrub(self, span: ReadableSpan) -> ReadableSpan:
        events = [
            Event("exception", self._allow.attributes({"error.type": _type_of(e.attributes)}), e.timestamp)
            for e in span.events
            if e.name == "exception"
        ]
        return ReadableSpan(
            name=self._allow.name(span.name),
            context=span.context,
            parent=span.parent,
            resource=self._resource,
            attributes=self._allow.attributes(span.attributes),
            events=events,
            links=(),
            kind=span.kind,
            status=Status(span.status.status_code),
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([self.scrub(s) for s in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def _type_of(attributes: Mapping[str, object] | None) -> object:
    value = (attributes or {}).get("exception.type")
    return value.rsplit(".", 1)[-1] if isinstance(value, str) else None


def provider_for(
    exporter: SpanExporter, allow: AllowList, version: str, *, batch: bool, sample_ratio: float
) -> TracerProvider:
    """Our own provider (never the global one), every span scrubbed before ``exporter`` sees it."""
    scrubbing = ScrubbingExporter(exporter, allow, version)
    sampler = ParentBased(TraceIdRatioBased(sample_ratio))  # a request's spans are kept or dropped together
    provider = TracerProvider(resource=service_resource(version), sampler=sampler)
    provider.add_span_processor(BatchSpanProcessor(scrubbing) if batch else SimpleSpanProcessor(scrubbing))
    return provider


def exporter_for(kind: str, endpoint: str | None, timeout_seconds: float) -> SpanExporter:
    """``console``: spans printed on stdout (debugging); ``otlp``: OTLP over HTTP (protobuf) to ``endpoint``,
    or where ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` says, else ``http://localhost:4318/v1/traces``."""
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, timeout=timeout_seconds)
    raise ValueError(f"no span exporter {kind[:20]!r}")
