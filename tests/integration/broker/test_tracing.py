"""Tracing on, for real: full journeys over HTTP against the sandbox give spans for requests, source fetches,
parses and deliveries, and no exported span holds a persona's value or a token. Off, the app has no tracing
middleware and not one span is started."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, Tracer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tests.support.broker_server import BROKER_SECRET, BrokerServer
from tests.support.leaks import find, personal_values

from databrug.observability import tracing
from databrug.provisioning import register
from databrug.records import SOURCE_NAMES
from databrug.robot.journey import JourneyResult, Persona, run_journey
from databrug.sdk import generate_provider_keys
from databrug.web.request_tracing import TracedRequests
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.server import SandboxServer

CHOSEN = ["single-renter-low-wage", "couple-both-employed", "ww-benefit"]
SECRETS = personal_values(CATALOGUE[key] for key in CHOSEN)


class _Hooks(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        type(self).received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def webhook_receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.install(exporter, version="test", batch=False)
    try:
        yield exporter
    finally:
        tracing.uninstall()


def journeys(
    broker: BrokerServer, webhook_url: str, personas: dict[str, Persona]
) -> tuple[list[JourneyResult], list[str]]:
    """The chosen personas' journeys as a provider with a webhook; the results and the secrets in play."""
    keys = generate_provider_keys()
    _, secret, webhook_secret = register(
        broker.broker.registry,
        "traced-provider",
        "Traceerprovider",
        return_url="http://127.0.0.1/",
        public_jwks=keys.public_jwks,
        webhook_url=webhook_url,
        partner="optional",
    )
    endpoints = dataclasses.replace(
        broker.endpoints(),
        provider_id="traced-provider",
        client_secret=secret,
        private_jwks=keys.private_jwks,
    )

    async def run() -> list[JourneyResult]:
        return list(await asyncio.gather(*(run_journey(personas[k], endpoints) for k in CHOSEN)))

    results = asyncio.run(run())
    assert all(r.ok for r in results), [r.error for r in results]
    return results, [secret, webhook_secret or "", BROKER_SECRET]


def traced_requests(broker: BrokerServer) -> bool:
    """Is the request-tracing middleware in the broker app's stack?"""
    return any(getattr(m, "cls", None) is TracedRequests for m in broker.app.user_middleware)


def attribute_values(spans: tuple[ReadableSpan, ...]) -> set[object]:
    values: set[object] = set()
    for s in spans:
        values.update((s.attributes or {}).values())
        for event in s.events:
            values.update((event.attributes or {}).values())
    return values


def test_journeys_are_traced_and_no_personal_value_or_token_is_exported(
    sandbox: SandboxServer,
    personas: dict[str, Persona],
    tmp_path: Path,
    exported: InMemorySpanExporter,
    webhook_receiver: str,
) -> None:
    with BrokerServer(tmp_path, sandbox.base_url, webhook_poll_seconds=0.05) as broker:
        assert traced_requests(broker)
        results, secrets = journeys(broker, webhook_receiver, personas)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _Hooks.received < len(results) * 5:
            time.sleep(0.05)
    spans = exported.get_finished_spans()
    names = [s.name for s in spans]
    assert {"source.fetch", "document.parse", "package.deliver", "webhook.deliver"} <= set(names)
    assert "POST /api/v1/sessions" in names  # a request span is named after its route template
    requests = [s for s in spans if " /" in s.name or s.name == "HTTP"]
    assert len(requests) > 50
    assert all("{" in s.name or s.name.count("/") < 5 for s in requests)
    fetched = {(s.attributes or {}).get("databrug.source") for s in spans if s.name == "source.fetch"}
    assert fetched == set(SOURCE_NAMES)
    delivered = [s for s in spans if s.name == "webhook.deliver"]
    assert any((s.attributes or {}).get("http.response.status_code") == 204 for s in delivered)
    # a fetch is a child of the request that asked for it: one trace per request
    by_id = {s.context.span_id: s for s in spans if s.context is not None}
    parents = [
        by_id.get(s.parent.span_id) for s in spans if s.name == "source.fetch" and s.parent is not None
    ]
    assert parents
    assert all(p is not None and p.name.startswith("POST /app/") for p in parents)
    # nothing personal, no token, no id: names, attributes, events, links, status, resource
    text = "\n".join(s.to_json() for s in spans)
    ids = [r.session_id or "" for r in results] + [str(r.package.get("package_id", "")) for r in results]
    assert find(SECRETS, text) == []
    assert [t for t in [*secrets, *ids] if t and t in text] == []
    assert "robot-" not in text
    assert "traced-provider" not in text
    # and structurally: every value is a method, template, code, source, document type, class name or number
    for value in attribute_values(spans):
        assert isinstance(value, int) or (isinstance(value, str) and len(value) <= 60), value
        assert isinstance(value, int) or not any(c.isdigit() for c in value) or value.startswith("/"), value


def test_off_the_app_has_no_tracing_and_starts_no_span(
    sandbox: SandboxServer,
    personas: dict[str, Persona],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    webhook_receiver: str,
) -> None:
    started: list[str] = []
    real_start = Tracer.start_span

    def counting(self: Tracer, name: str, *args: object, **kwargs: object) -> object:
        started.append(name)
        return real_start(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Tracer, "start_span", counting)
    assert tracing.current() is None
    with BrokerServer(tmp_path, sandbox.base_url, webhook_poll_seconds=0.05) as broker:
        assert not traced_requests(broker)
        journeys(broker, webhook_receiver, {k: personas[k] for k in CHOSEN})
    assert started == []
    assert tracing.current() is None
