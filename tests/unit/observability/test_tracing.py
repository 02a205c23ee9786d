"""Tracing's scrubbing: whatever a span is given, only allow-listed keys of a safe shape leave the process;
off, nothing is created at all."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, Status, StatusCode, get_tracer_provider
from pydantic import ValidationError
from tests.support.leaks import find, personal_values

from databrug.bootstrap import configure_tracing
from databrug.config import Settings
from databrug.observability import tracing
from databrug.observability.tracing import NOT_TRACED, AllowList, span
from databrug.sources.errors import SourceUnavailable
from databrug.sources.upload import parse_upload
from databrug_sandbox.personas.catalogue import CATALOGUE

GOLDEN = Path(__file__).parents[2] / "golden"
PERSONAL = personal_values(CATALOGUE.values())
BSN = "123456782"
TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODIifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
EMAIL = "jan.jansen@example.nl"
HOSTILE = [BSN, TOKEN, EMAIL, "Jan Jansen", "NL91ABNA0417164300", "1234.56", "x" * 10_000]


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.install(exporter, version="test", batch=False)
    tracing.allow_routes(["/api/v1/sessions/{session_id}/package"])
    try:
        yield exporter
    finally:
        tracing.uninstall()


def text_of(spans: tuple[ReadableSpan, ...]) -> str:
    """Everything an exporter is handed: names, attributes, events, links, status, resource."""
    return "\n".join(s.to_json() for s in spans)


def test_off_by_default_nothing_is_created() -> None:
    assert tracing.current() is None
    assert not tracing.enabled()
    with span("source.fetch", source="uwv", document_type="verzekeringsbericht") as traced:
        traced.outcome("source_unavailable")
        traced.count(3)
    assert traced is NOT_TRACED
    assert span("webhook.deliver") is span("package.deliver")  # one shared no-op context, no span object
    # nothing was set on OpenTelemetry's global provider either: FastAPI's own telemetry stays silent
    assert type(get_tracer_provider()).__name__ == "ProxyTracerProvider"


def test_hostile_attributes_events_links_and_status_are_dropped(exported: InMemorySpanExporter) -> None:
    current = tracing.current()
    assert current is not None
    hostile_attributes: dict[str, str | int] = {
        "databrug.source": BSN,
        "databrug.document_type": EMAIL,
        "databrug.outcome": TOKEN,
        "error.type": "Jan Jansen",
        "http.route": "/api/v1/sessions/ses_4f9a1c/package",  # a raw path, not a registered template
        "http.request.method": "GET /app/pair?t=" + TOKEN,
        "http.response.status_code": 123456782,
        "databrug.records": 123456782,  # a BSN as a number
        "user.email": EMAIL,
        "enduser.id": BSN,
        "url.full": "http://broker/app/pair?t=" + TOKEN,
        "long": "x" * 10_000,
    }
    other = current.tracer.start_span("other")
    other.end()
    link = Link(other.get_span_context(), {"bsn": BSN})
    with current.tracer.start_as_current_span(
        "GET /app/pair?t=" + TOKEN, attributes=hostile_attributes, links=[link], record_exception=False
    ) as raw:
        raw.add_event("log", {"message": f"person {BSN} at {EMAIL}"})
        raw.record_exception(ValueError(f"no person with BSN {BSN}, mail {EMAIL}"))
        raw.set_status(Status(StatusCode.ERROR, f"failed for {BSN}"))
    [_, scrubbed] = exported.get_finished_spans()
    assert scrubbed.name == "HTTP"
    assert dict(scrubbed.attributes or {}) == {}
    assert [(e.name, dict(e.attributes or {})) for e in scrubbed.events] == [
        ("exception", {"error.type": "ValueError"})
    ]
    assert scrubbed.links == ()
    assert scrubbed.status.status_code is StatusCode.ERROR
    assert scrubbed.status.description is None
    assert dict(scrubbed.resource.attributes) == {
        "service.name": "databrug-broker",
        "service.version": "test",
    }
    text = text_of(exported.get_finished_spans())
    assert [v for v in HOSTILE if v in text] == []


def test_safe_values_are_kept(exported: InMemorySpanExporter) -> None:
    current = tracing.current()
    assert current is not None
    safe: dict[str, str | int] = {
        "http.request.method": "GET",
        "http.route": "/api/v1/sessions/{session_id}/package",
        "http.response.status_code": 200,
        "databrug.source": "uwv",
        "databrug.document_type": "verzekeringsbericht",
        "databrug.outcome": "source_unavailable",
        "databrug.records": 12,
        "error.type": "TimeoutError",
    }
    with current.tracer.start_as_current_span("GET /api/v1/sessions/{session_id}/package", attributes=safe):
        pass
    [kept] = exported.get_finished_spans()
    assert kept.name == "GET /api/v1/sessions/{session_id}/package"
    assert dict(kept.attributes or {}) == safe


def test_no_persona_value_survives_under_any_allowed_key(exported: InMemorySpanExporter) -> None:
    """Every personal value of every catalogue persona, as text and (digits) as a number, under every key the
    allow-list knows: none is kept."""
    allow = AllowList(routes={"/c/qr"})
    assert len(PERSONAL) > 50
    for key in allow.checks():
        for value in PERSONAL:
            assert allow.attributes({key: value}) == {}, (key, value)
            if value.isdigit():
                assert allow.attributes({key: int(value)}) == {}, (key, value)
        assert allow.name(f"GET {next(iter(PERSONAL))}") == "HTTP"


def test_a_failed_span_keeps_the_code_and_class_not_the_message(exported: InMemorySpanExporter) -> None:
    with (
        pytest.raises(SourceUnavailable),
        span("source.fetch", source="uwv", document_type="verzekeringsbericht"),
    ):
        raise SourceUnavailable("uwv", f"portal said BSN {BSN} unknown")
    [failed] = exported.get_finished_spans()
    assert failed.name == "source.fetch"
    assert dict(failed.attributes or {}) == {
        "databrug.source": "uwv",
        "databrug.document_type": "verzekeringsbericht",
        "databrug.outcome": "source_unavailable",
        "error.type": "SourceUnavailable",
    }
    assert failed.status.status_code is StatusCode.ERROR
    assert BSN not in text_of(exported.get_finished_spans())
    assert find(PERSONAL, text_of(exported.get_finished_spans())) == []


def test_a_span_inside_another_is_its_child(exported: InMemorySpanExporter) -> None:
    with span("package.deliver"), span("document.parse", document_type="toeslagen") as traced:
        traced.count(4)
    inner, outer = exported.get_finished_spans()
    assert inner.parent is not None
    assert outer.context is not None
    assert inner.parent.span_id == outer.context.span_id
    assert dict(inner.attributes or {})["databrug.records"] == 4


def test_an_upload_is_parsed_in_a_span_that_names_no_one(exported: InMemorySpanExporter) -> None:
    document = (GOLDEN / "mijnoverheid" / "brp-sandbox-suzanne.json").read_bytes()
    subject = json.loads(document)["personen"][0]["burgerservicenummer"]  # the person it is about
    assert re.fullmatch(r"\d{9}", subject)
    parse_upload(document, source="mijnoverheid", subject_bsn=subject)
    [parsed] = exported.get_finished_spans()
    assert parsed.name == "document.parse"
    assert dict(parsed.attributes or {}) == {
        "databrug.source": "mijnoverheid",
        "databrug.document_type": "brp-persoon",
    }
    exported_text = parsed.to_json()
    named = set(re.findall(r"\d{9}", document.decode()))  # every BSN the document names (ids are random hex)
    assert subject in named
    assert [bsn for bsn in named if bsn in exported_text] == []


def test_uninstalled_tracing_is_off_again() -> None:
    exporter = InMemorySpanExporter()
    tracing.install(exporter, version="test", batch=False)
    tracing.uninstall()
    with span("source.fetch"):
        pass
    assert exporter.get_finished_spans() == ()
    assert tracing.current() is None


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector's one endpoint: keeps each request body (protobuf) it is sent."""

    bodies: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        type(self).bodies.append((self.path, body))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_otlp_over_http_sends_only_the_scrubbed_span(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    try:
        settings = Settings(providers_file=tmp_path / "p.json", tracing="otlp", tracing_endpoint=endpoint)
        assert configure_tracing(settings)
        current = tracing.current()
        assert current is not None
        with current.tracer.start_as_current_span(
            "source.fetch", attributes={"databrug.source": "uwv", "enduser.id": BSN, "token": TOKEN}
        ) as raw:
            raw.record_exception(ValueError(f"BSN {BSN}"))
        tracing.uninstall()  # flushes the batch
    finally:
        server.shutdown()
        server.server_close()
    [(path, body)] = _Collector.bodies
    assert path == "/v1/traces"
    assert b"source.fetch" in body
    assert b"databrug.source" in body
    assert b"uwv" in body
    assert [v for v in HOSTILE if v.encode() in body] == []
    assert b"enduser.id" not in body
    assert b"exception.message" not in body


def test_the_settings_choose_the_exporter_and_refuse_the_rest(tmp_path: Path) -> None:
    assert not configure_tracing(Settings(providers_file=tmp_path / "p.json"))  # off by default
    assert tracing.current() is None
    try:
        assert configure_tracing(Settings(providers_file=tmp_path / "p.json", tracing="console"))
        assert tracing.current() is not None
    finally:
        tracing.uninstall()
    for hostile in (
        {"tracing": "zipkin"},
        {"tracing": "otlp", "tracing_endpoint": "http://collector/" + "x" * 1000},
        {"tracing_sample_ratio": 0},
        {"tracing_sample_ratio": 2},
        {"tracing_export_timeout_seconds": 3600},
    ):
        with pytest.raises(ValidationError):
            Settings(providers_file=tmp_path / "p.json", **hostile)
