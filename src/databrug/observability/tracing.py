"""OpenTelemetry spans, optional and scrubbed (docs/deployment.md, "Tracing"). Off by default.

Off, ``span()`` hands back one shared no-op context: no tracer provider, no span object, no SDK imported.
On (``install``), spans go through ``ScrubbingExporter`` before any exporter sees them, which keeps only:

- a span name from a fixed list (``SPAN_NAMES``), or ``METHOD /route/{template}`` for a route the web app
  matched (``allow_route``: its template, never a raw path, which may carry a token), else ``HTTP``;
- attributes whose key is allow-listed and whose value has that key's safe shape (``AllowList.checks``): a
  method, a route template, a status code, a source name, a document type, an outcome or error code, an
  exception's class name, a small count. Everything else is dropped, whoever set it (a library, a mistake);
- of the events only ``exception``, with only its type (an exception's message can carry personal data);
- the status code without its description; no links; a fixed resource (service name and version).

The provider is ours, not OpenTelemetry's global one: FastAPI's built-in telemetry (off, ``web/app.py``) and
any library instrumented for the global provider stay silent. Incoming ``traceparent`` headers are ignored
(every request starts a trace): the broker does not take trace state from the internet.

Settings are read at the composition root (``bootstrap.configure_tracing``); this module reads none.
"""

from __future__ import annotations

import contextlib
import re
import threading
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from databrug.records import SOURCE_NAMES, DocumentType

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

SpanName = Literal["request", "source.fetch", "document.parse", "webhook.deliver", "package.deliver"]
SPAN_NAMES: frozenset[str] = frozenset(typing.get_args(SpanName))
"""Every span's name but a request's, which becomes ``METHOD /route/template`` once the route is known."""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
DOCUMENT_TYPES: frozenset[str] = frozenset(typing.get_args(DocumentType))
MAX_COUNT = 100_000
"""The largest count kept: far below any BSN (nine digits), IBAN or amount in cents of note."""

_CODE = re.compile(r"[a-z]{2,20}(?:_[a-z]{2,20}){1,5}")
"""An outcome or error code: snake_case of two to six words (``source_unavailable``). One lower-case word
alone is refused: it could be a name written small."""
_EXCEPTION_TYPE = re.compile(r"(?:[A-Z][a-z0-9]+){2,6}")
"""A class name of two to six capitalised words (``TimeoutError``, ``DocumentInvalid``): not a person's name,
which has spaces or one word."""
_OUTCOMES = frozenset({"ok", "delivered", "refused", "failed", "error", "timeout", "no_answer"})
MAX_ROUTES = 500
"""The broker has about 80 routes: a list longer than this is not templates."""
_ROUTE = re.compile(r"/[A-Za-z0-9_.{}/-]{0,200}")
SERVICE_NAME = "databrug-broker"


def _status_code(value: object) -> bool:
    return type(value) is int and 100 <= value <= 599


def _count(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_COUNT


def _outcome(value: object) -> bool:
    return isinstance(value, str) and (value in _OUTCOMES or _CODE.fullmatch(value) is not None)


def _exception_type(value: object) -> bool:
    return isinstance(value, str) and _EXCEPTION_TYPE.fullmatch(value) is not None


@dataclass
class AllowList:
    """What may leave the process in a span. ``routes``: the templates the web app registered."""

    routes: set[str] = field(default_factory=set)

    def checks(self) -> Mapping[str, Callable[[object], bool]]:
        return {
            "http.request.method": lambda v: v in METHODS,
            "http.route": lambda v: isinstance(v, str) and v in self.routes,
            "http.response.status_code": _status_code,
            "databrug.source": lambda v: v in SOURCE_NAMES,
            "databrug.document_type": lambda v: v in DOCUMENT_TYPES,
            "databrug.outcome": _outcome,
            "databrug.records": _count,
            "error.type": _exception_type,
        }

    def name(self, name: str) -> str:
        if name in SPAN_NAMES:
            return name
        method, _, route = name.partition(" ")
        if method in METHODS and route in self.routes:
            return name
        return "HTTP"

    def attributes(self, attributes: Mapping[str, object] | None) -> dict[str, str | int]:
        """The allow-listed ones of ``attributes``, each of its key's shape; a string or an integer only."""
        checks = self.checks()
        kept: dict[str, str | int] = {}
        for key, value in (attributes or {}).items():
            check = checks.get(key)
            if check is not None and isinstance(value, str | int) and check(value):
                kept[key] = value
        return kept


class Traced:
    """What a span's body may add to it: its outcome, a status code, a count (checked again at export)."""

    __slots__ = ("_span",)

    def __init__(self, span: Span | None) -> None:
        self._span = span

    def outcome(self, code: str) -> None:
        if self._span is not None:
            self._span.set_attribute("databrug.outcome", code)

    def status_code(self, status: int | None) -> None:
        if self._span is not None:
            if status is None:
                self._span.set_attribute("databrug.outcome", "no_answer")
            else:
                self._span.set_attribute("http.response.status_code", status)

    def count(self, records: int) -> None:
        if self._span is not None:
            self._span.set_attribute("databrug.records", records)


NOT_TRACED = Traced(None)
_OFF: contextlib.nullcontext[Traced] = contextlib.nullcontext(NOT_TRACED)


@dataclass
class Tracing:
    """The installed tracing: our provider, its tracer and the allow-list its exporter applies."""

    provider: TracerProvider
    tracer: Tracer
    allow: AllowList


_tracing: Tracing | None = None
_lock = threading.Lock()


def current() -> Tracing | None:
    """The installed tracing, or None when it is off."""
    return _tracing


def enabled() -> bool:
    return _tracing is not None


def install(
    exporter: SpanExporter, *, version: str, batch: bool = True, sample_ratio: float = 1.0
) -> Tracing:
    """Turn tracing on: every span goes through ``ScrubbingExporter`` to ``exporter`` (batched, or one by
    one with ``batch=False``, for tests). Replaces tracing installed before. Imports the SDK (the
    ``tracing`` extra) only now."""
    from databrug.observability.exporting import provider_for

    global _tracing
    allow = AllowList()
    provider = provider_for(exporter, allow, version, batch=batch, sample_ratio=sample_ratio)
    with _lock:
        previous, _tracing = _tracing, Tracing(provider, provider.get_tracer("databrug", version), allow)
    if previous is not None:
        previous.provider.shutdown()
    return _tracing


def uninstall() -> None:
    """Tracing off again; spans not exported yet are flushed first."""
    global _tracing
    with _lock:
        previous, _tracing = _tracing, None
    if previous is not None:
        previous.provider.shutdown()


def allow_routes(templates: Iterable[str]) -> None:
    """Route templates the web app serves (``/api/v1/sessions/{session_id}``): names and ``http.route``
    values a request span may carry."""
    if _tracing is not None:
        for template in templates:
            allow_route(_tracing.allow.routes, template)


def allow_route(routes: set[str], template: str) -> None:
    """Add a route template (from a route object, never a request's path) to ``routes``; one that does not
    look like a path template is left out, and the list stops growing at ``MAX_ROUTES``."""
    if len(routes) < MAX_ROUTES and _ROUTE.fullmatch(template):
        routes.add(template)


def span(
    name: SpanName,
    *,
    source: str | None = None,
    document_type: str | None = None,
) -> contextlib.AbstractContextManager[Traced]:
    """``with span("source.fetch", source=..., document_type=...) as traced:`` — a child of the current
    span. Off: one shared no-op context, nothing else. An exception out of the body marks the span failed
    with the exception's class name only."""
    tracing = _tracing
    if tracing is None:
        return _OFF
    return _started(tracing.tracer, name, source, document_type)


@contextlib.contextmanager
def _started(tracer: Tracer, name: str, source: str | None, document_type: str | None) -> Iterator[Traced]:
    attributes: dict[str, str] = {}
    if source is not None:
        attributes["databrug.source"] = source
    if document_type is not None:
        attributes["databrug.document_type"] = document_type
    with tracer.start_as_current_span(
        name, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as current_span:
        try:
            yield Traced(current_span)
        except BaseException as error:
            failed(current_span, error)
            raise


def failed(span_: Span, error: BaseException) -> None:
    """Mark a span failed: its code when the error has one, its class name, no message."""
    from opentelemetry.trace import StatusCode

    code = getattr(error, "code", None)
    if isinstance(code, str):
        span_.set_attribute("databrug.outcome", code)
    span_.set_attribute("error.type", type(error).__name__)
    span_.set_status(StatusCode.ERROR)
