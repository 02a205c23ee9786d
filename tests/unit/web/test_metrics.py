"""The metrics' labels stay ids-free, the request middleware and the private metrics port behave, and the
store wrapper, the session service and the webhook sender count what they should (databrug/metrics.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from databrug.delivery.outbox import MemoryOutbox
from databrug.delivery.webhooks import RetrySchedule, WebhookEvent, WebhookSender, new_webhook_secret
from databrug.metrics import FAMILIES, BrokerMetrics, code_label, method_label
from databrug.sessions.errors import SessionNotFound, StoreUnavailable
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.metered import MeteredStore
from databrug.sessions.service import SessionService
from databrug.web.metrics import STREAMING, MetricsPort, RequestMetrics
from databrug.web.security import SecurityHeaders

TOKEN = "pt_" + "Zq9" * 12  # a page token as a path would carry it
METRICS_PORT = 9464


def samples(metrics: BrokerMetrics) -> list[tuple[str, dict[str, str], float]]:
    text = metrics.exposition().decode()
    return [(s.name, s.labels, s.value) for f in text_string_to_metric_families(text) for s in f.samples]


def value(metrics: BrokerMetrics, name: str, **labels: str) -> float:
    return sum(v for n, ls, v in samples(metrics) if n == name and labels.items() <= ls.items())


# -- label scrubbing


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("source_unavailable", "source_unavailable"),
        (None, "none"),
        ("", "none"),
        ("a" * 41, "other"),
        ("BSN 123456782", "other"),
        ("document-of-another", "other"),
        ('x"} 1\nfake_metric{a="b', "other"),
    ],
)
def test_a_code_label_is_a_stable_code_or_other(code: str | None, label: str) -> None:
    assert code_label(code) == label


@pytest.mark.parametrize(
    ("method", "label"), [("GET", "GET"), ("POST", "POST"), ("BREW", "other"), ("get", "other")]
)
def test_a_method_label_is_known_or_other(method: str, label: str) -> None:
    assert method_label(method) == label


# -- the request middleware, on an app with the broker's SecurityHeaders (which notes the status)


def _app(metrics: BrokerMetrics) -> Starlette:
    async def session(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def events(request: Request) -> Response:
        request.scope[STREAMING] = True

        async def stream() -> object:
            yield "data: 1\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")  # type: ignore[arg-type]

    async def broken(request: Request) -> Response:
        return PlainTextResponse("no", status_code=503)

    app = Starlette(
        routes=[
            Route("/api/v1/sessions/{session_id}", session),
            Route("/c/events", events),
            Route("/broken", broken),
        ]
    )
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(SecurityHeaders)
    return app


async def _get(app: object, *paths: str, port: int = 8700, method: str = "GET") -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=f"http://127.0.0.1:{port}") as client:
        return [await client.request(method, path) for path in paths]


def test_requests_are_counted_by_route_template_never_by_path() -> None:
    metrics = BrokerMetrics()
    app = _app(metrics)
    answers = asyncio.run(
        _get(
            app,
            f"/api/v1/sessions/{TOKEN}",
            "/api/v1/sessions/ses_other",
            f"/start/{TOKEN}?t={TOKEN}",
            "/broken",
        )
    )
    assert [a.status_code for a in answers] == [200, 200, 404, 503]
    name = "databrug_http_requests_total"
    assert value(metrics, name, route="/api/v1/sessions/{session_id}", status="200", method="GET") == 2
    assert value(metrics, name, route="unmatched", status="404") == 1
    assert value(metrics, name, route="/broken", status="503") == 1
    timed = "databrug_http_request_duration_seconds_count"
    assert value(metrics, timed, route="/api/v1/sessions/{session_id}") == 2
    text = metrics.exposition().decode()
    assert TOKEN not in text
    assert "ses_other" not in text
    assert "/start" not in text


def test_an_event_stream_is_counted_not_timed() -> None:
    metrics = BrokerMetrics()
    [answer] = asyncio.run(_get(_app(metrics), "/c/events"))
    assert answer.status_code == 200
    assert value(metrics, "databrug_http_requests_total", route="/c/events", status="200") == 1
    assert value(metrics, "databrug_http_request_duration_seconds_count", route="/c/events") == 0


def test_a_hostile_method_is_one_label() -> None:
    metrics = BrokerMetrics()
    for method in ("BREW", "PROPFIND", "X" * 50):
        asyncio.run(_get(_app(metrics), "/broken", method=method))
    methods = {ls.get("method") for n, ls, _ in samples(metrics) if n == "databrug_http_requests_total"}
    assert methods == {"other"}


def test_every_family_is_registered_before_any_traffic() -> None:
    text = BrokerMetrics().exposition().decode()
    names = {f.name for f in text_string_to_metric_families(text)}
    assert set(FAMILIES) <= names


def test_each_broker_has_its_own_registry() -> None:
    one, other = BrokerMetrics(), BrokerMetrics()
    one.fetched("uwv", 0.2)
    assert value(one, "databrug_source_fetches_total", source="uwv", outcome="ok") == 1
    assert value(other, "databrug_source_fetches_total", source="uwv") == 0


# -- the private metrics port


def _exposed(metrics: BrokerMetrics) -> MetricsPort:
    return MetricsPort(_app(metrics), METRICS_PORT, metrics.exposition)


def test_metrics_are_served_on_the_metrics_port_only() -> None:
    metrics = BrokerMetrics()
    app = _exposed(metrics)
    [private] = asyncio.run(_get(app, "/metrics", port=METRICS_PORT))
    assert private.status_code == 200
    assert private.headers["content-type"].startswith("text/plain; version=")
    assert "databrug_http_requests_total" in private.text
    [public] = asyncio.run(_get(app, "/metrics", port=8700))
    assert public.status_code == 404  # the public port has no /metrics route
    # scraping is not a request of the app's own
    assert value(metrics, "databrug_http_requests_total", route="unmatched") == 1


def test_the_metrics_port_answers_nothing_else() -> None:
    app = _exposed(BrokerMetrics())
    answers = asyncio.run(
        _get(app, "/", "/api/v1/sessions/x", "/metrics/../health", "/metrics?x=1", port=METRICS_PORT)
    )
    assert [a.status_code for a in answers] == [404, 404, 404, 200]
    [posted] = asyncio.run(_get(app, "/metrics", port=METRICS_PORT, method="POST"))
    assert posted.status_code == 405


# -- the store wrapper


class _Flaky(MemorySessionStore):
    async def get(self, session_id: str):  # type: ignore[no-untyped-def]
        if session_id == "down":
            raise StoreUnavailable()
        if session_id == "gone":
            raise SessionNotFound()
        return await super().get(session_id)


def test_store_operations_are_timed_and_failures_counted_by_type() -> None:
    metrics = BrokerMetrics()
    store = MeteredStore(_Flaky(), metrics)

    async def run() -> None:
        assert await store.get("absent") is None
        with pytest.raises(StoreUnavailable):
            await store.get("down")
        with pytest.raises(SessionNotFound):  # an answer of the port, not a failure
            await store.get("gone")
        assert await store.ping()

    asyncio.run(run())
    assert value(metrics, "databrug_store_operation_duration_seconds_count", operation="get") == 3
    assert value(metrics, "databrug_store_operation_duration_seconds_count", operation="ping") == 1
    assert value(metrics, "databrug_store_errors_total", operation="get", error="StoreUnavailable") == 1
    assert value(metrics, "databrug_store_errors_total") == 1


# -- session transitions and sessions by state


def test_transitions_and_sessions_by_state_are_counted() -> None:
    metrics = BrokerMetrics()
    service = SessionService(MeteredStore(MemorySessionStore(), metrics), metrics=metrics)

    async def run() -> None:
        first, _ = await service.create_session("p", "ref-Jansen-123", ["uwv"])
        await service.create_session("p", "ref-2", ["uwv"])
        await service.cancel(first.session_id)

    asyncio.run(run())
    name = "databrug_session_transitions_total"
    assert value(metrics, name, from_state="none", to_state="created") == 2
    assert value(metrics, name, from_state="created", to_state="cancelled") == 1
    assert value(metrics, name) == 3
    assert value(metrics, "databrug_sessions", state="created") == 1
    assert value(metrics, "databrug_sessions", state="cancelled") == 1
    assert "ref-Jansen-123" not in metrics.exposition().decode()


# -- webhooks


def test_webhook_attempts_retries_and_giving_up_are_counted() -> None:
    metrics = BrokerMetrics()
    secret = new_webhook_secret()

    async def run() -> None:
        transport = httpx.MockTransport(lambda request: httpx.Response(503))
        async with httpx.AsyncClient(transport=transport) as client:
            now = datetime.now(UTC)
            sender = WebhookSender(
                client, MemoryOutbox(), lambda _: [secret], RetrySchedule(base=0, cap=0), metrics=metrics
            )
            event = WebhookEvent(type="session.review", data={"session_id": "ses_x"})
            await sender.enqueue("p", "http://provider.invalid/hook", event, now + timedelta(seconds=0.3))
            await sender.run_due()
            await asyncio.sleep(0.35)
            await sender.run_due()  # past the deadline: given up

    asyncio.run(run())
    assert value(metrics, "databrug_webhook_deliveries_total", outcome="failed") == 1
    assert value(metrics, "databrug_webhook_deliveries_total", outcome="gave_up") == 1
    assert value(metrics, "databrug_webhook_retries_total") == 1
    assert value(metrics, "databrug_webhook_lag_seconds_count") == 2


def test_a_host_header_naming_the_metrics_port_does_not_open_it() -> None:
    async def spoofed() -> httpx.Response:
        transport = httpx.ASGITransport(app=_exposed(BrokerMetrics()))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8700") as client:
            headers = {"host": f"127.0.0.1:{METRICS_PORT}", "x-forwarded-port": str(METRICS_PORT)}
            return await client.get("/metrics", headers=headers)

    assert asyncio.run(spoofed()).status_code == 404


def test_request_durations_fall_in_cumulative_le_buckets() -> None:
    metrics = BrokerMetrics()
    for seconds in (0.0005, 0.001, 0.004, 0.3, 99.0):  # 0.001 is on a bound: counted as le="0.001"
        metrics.request("GET", "/x", 200, seconds)
    metrics.request("GET", "/x", 500, 0.002)
    metrics.request("GET", "/x", 200, None)  # a stream: counted only
    bucket = "databrug_http_request_duration_seconds_bucket"
    assert value(metrics, bucket, route="/x", le="0.001") == 2
    assert value(metrics, bucket, route="/x", le="0.0025") == 3
    assert value(metrics, bucket, route="/x", le="0.005") == 4
    assert value(metrics, bucket, route="/x", le="0.5") == 5
    assert value(metrics, bucket, route="/x", le="10.0") == 5
    assert value(metrics, bucket, route="/x", le="+Inf") == 6
    assert value(metrics, "databrug_http_request_duration_seconds_count", route="/x") == 6
    assert value(metrics, "databrug_http_request_duration_seconds_sum", route="/x") == pytest.approx(99.3075)
    assert value(metrics, "databrug_http_requests_total", route="/x", status="200") == 6
    assert value(metrics, "databrug_http_requests_total", route="/x", status="500") == 1
