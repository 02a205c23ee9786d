"""Issue 19's done-criterion for metrics: after full journeys (the demo provider's, with its webhook,
and every catalogue persona's robot journey) a scrape of the broker's private metrics port has every
metric family with samples, and no personal value, token, session id or reference in it; the sandbox and
the demo provider expose theirs too; the dashboard's queries name only families the broker exports
(docs/monitoring/)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.support.broker_server import BROKER_SECRET
from tests.support.citizen_journey import complete_journey
from tests.support.leaks import find, personal_values
from tests.support.provider_stack import ProviderStack, RunningProvider
from tests.support.stepwise_citizen import start_at_sources

from databrug.metrics import FAMILIES
from databrug.robot.journey import Login, Persona
from databrug.robot.run import run_many
from databrug.robot.setup import persona_of
from databrug.sdk import AsyncDatabrugClient
from databrug_sandbox.faults import FaultSettings
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.docs import catalogue_listing
from databrug_sandbox.server import SandboxServer, SandboxSettings

ROOT = Path(__file__).resolve().parents[3]
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
APPLICANT = {"name": "Fatima Yilmaz", "email": "fatima@example.nl", "phone": "06 12345678"}
NO_SAMPLES_WHEN_HEALTHY = {"databrug_store_errors"}
"""A run without a store failure has none (tests/unit/test_metrics.py makes one and counts it)."""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxSettings(port=0)) as server:
        yield server


@pytest.fixture(scope="module")
def stack(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProviderStack]:
    directory = tmp_path_factory.mktemp("metrics")
    url = f"sqlite:///{directory / 'provider.sqlite3'}"
    with RunningProvider(directory, sandbox.base_url, url, metrics=True) as running:
        yield running


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found
    return found.group(1)


def _provider_journey(stack: ProviderStack, sandbox: SandboxServer) -> set[str]:
    """Apply on the demo site, complete the journey from the invitation; the tokens and ids it made."""
    site = httpx.Client(base_url=stack.url, follow_redirects=False)
    form = site.get("/aanvragen", params={"gemeente": "GM0599"})
    data = {"csrf": _csrf(form), "gemeente": "Rotterdam", "consent": "yes", "partner": "no", "children": "2"}
    assert site.post("/aanvragen", data={**data, **APPLICANT}).status_code == 303
    [case] = stack.services.cases.all_cases()
    [mail] = [m for m in stack.mails.all() if APPLICANT["email"] in m.envelope_to]
    link = re.search(r"(http\S+/start\?t=\S+)", mail.text)
    assert link is not None
    login = Login("single-parent-benefit", "Proef-0158")
    asyncio.run(complete_journey(link.group(1), stack.broker.url, sandbox.base_url, login))
    deadline = time.monotonic() + 20
    while (
        not stack.services.cases.packages(case.id)
        or stack.services.cases.packages(case.id)[0].deletion_receipt is None
    ):
        assert time.monotonic() < deadline, "the webhook and pick-up did not finish"
        time.sleep(0.1)
    page_token = parse_qs(urlsplit(link.group(1)).query)["t"][0]
    return {case.id, page_token, *(v for v in APPLICANT.values())}


SECRET_KEYS = {"client_secret", "webhook_secret", "d"}  # API and webhook secrets, private key parts


def _secrets_of(directory: Path) -> set[str]:
    """The secrets in the providers' credential files (``providers.json`` holds hashes and public keys)."""
    found: set[str] = {BROKER_SECRET}

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SECRET_KEYS and isinstance(item, str):
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in directory.glob("*.json"):
        if path.name != "providers.json":
            walk(json.loads(path.read_text(encoding="utf-8")))
    return found


async def _a_source_in_maintenance(
    stack: ProviderStack, sandbox: SandboxServer, personas: list[Persona]
) -> set[str]:
    """One fetch that fails with a stable code (UWV in maintenance), then the session cancelled."""
    persona = next(p for p in personas if p.key == "single-renter-low-wage")
    citizen, provider, session_id = await start_at_sources(stack.broker, persona, "maintenance-ref-0815")
    try:
        sandbox.faults.set("uwv", FaultSettings(maintenance=True, retry_after_seconds=600))
        await citizen.fetch_all()
        assert citizen.sources()["uwv"].code == "source_maintenance"
    finally:
        sandbox.faults.clear()
        await provider.cancel(session_id)
        await citizen.close()
        await provider.aclose()
    return {session_id, "maintenance-ref-0815"}


@pytest.fixture(scope="module")
def after_full_journeys(stack: ProviderStack, sandbox: SandboxServer) -> tuple[str, set[str]]:
    forbidden = _provider_journey(stack, sandbox)
    personas: list[Persona] = [persona_of(h) for h in catalogue_listing(CATALOGUE)]
    results = asyncio.run(run_many(personas, stack.broker.endpoints(), "parallel", concurrency=4))
    assert all(r.ok for r in results), {r.persona: r.error for r in results if not r.ok}
    forbidden |= {r.session_id for r in results if r.session_id}
    forbidden |= {f"robot-{p.key}" for p in personas}  # the robot's session references
    forbidden |= _secrets_of(stack.broker.directory)
    forbidden |= personal_values(CATALOGUE.values())
    forbidden |= asyncio.run(_a_source_in_maintenance(stack, sandbox, personas))
    assert stack.broker.metrics_url is not None
    scrape = httpx.get(stack.broker.metrics_url, timeout=10)
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=")
    return scrape.text, forbidden


def families(text: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def test_a_scrape_after_full_journeys_has_every_family(after_full_journeys: tuple[str, set[str]]) -> None:
    text, _ = after_full_journeys
    found = families(text)
    assert set(FAMILIES) <= set(found), set(FAMILIES) - set(found)
    for name in set(FAMILIES) - NO_SAMPLES_WHEN_HEALTHY:
        assert found[name], f"{name} has no samples"

    def value(name: str, **labels: str) -> float:
        return sum(
            v for n, ls, v in found[name[: -len("_total")]] if n == name and labels.items() <= ls.items()
        )

    # what the run did, as the metrics tell it
    assert value("databrug_session_transitions_total", from_state="none", to_state="created") >= 2
    assert value("databrug_session_transitions_total", from_state="delivered", to_state="acknowledged") >= 2
    assert value("databrug_source_fetches_total", outcome="ok") >= 4
    failed = value("databrug_source_fetches_total", source="uwv", outcome="failed", code="source_maintenance")
    assert failed == 1
    assert value("databrug_webhook_deliveries_total", outcome="delivered") >= 1
    assert value("databrug_http_requests_total", route="/api/v1/sessions", method="POST", status="201") >= 2
    parsed = {
        ls["document_type"] for n, ls, _ in found["databrug_parse_duration_seconds"] if "document_type" in ls
    }
    assert {"brp-persoon", "verzekeringsbericht"} <= parsed
    operations = {ls["operation"] for _, ls, _ in found["databrug_store_operation_duration_seconds"]}
    assert {"create", "get", "update", "put_blob", "get_blob"} <= operations
    # every stream the run opened was closed again
    assert found["databrug_sse_watchers"][0][2] == 0
    # the memory store's sessions by state, counted at scrape time
    assert sum(v for _, ls, v in found["databrug_sessions"] if ls["state"] == "acknowledged") >= 2


def test_no_personal_value_or_token_is_in_the_scrape(after_full_journeys: tuple[str, set[str]]) -> None:
    text, forbidden = after_full_journeys
    assert len(forbidden) > 50  # the scan has something to find
    assert find(forbidden, text) == []


def test_the_scan_finds_a_planted_value(after_full_journeys: tuple[str, set[str]]) -> None:
    text, forbidden = after_full_journeys
    planted = sorted(forbidden)[0]
    assert find(forbidden, text + f'\nleak{{x="{planted}"}} 1\n') == [planted]


def test_labels_name_routes_by_template_only(after_full_journeys: tuple[str, set[str]]) -> None:
    text, _ = after_full_journeys
    routes = {ls["route"] for n, ls, _ in families(text)["databrug_http_requests"] if "route" in ls}
    assert "/api/v1/sessions/{session_id}" in routes
    assert all(r == "unmatched" or r.startswith("/") for r in routes)
    assert not [r for r in routes if re.search(r"[0-9a-f]{16}|ses_", r)]


def test_the_sandbox_and_the_demo_provider_expose_theirs(
    after_full_journeys: tuple[str, set[str]], stack: ProviderStack, sandbox: SandboxServer
) -> None:
    _, forbidden = after_full_journeys
    for url, prefix in ((f"{sandbox.base_url}/metrics", "sandbox"), (stack.metrics_url, "provider_demo")):
        assert url is not None
        answer = httpx.get(url, timeout=10)
        assert answer.status_code == 200
        found = families(answer.text)
        requests = found[f"{prefix}_http_requests"]
        assert sum(v for n, _, v in requests if n.endswith("_total")) > 10
        assert found[f"{prefix}_http_request_duration_seconds"]
        assert find(forbidden, answer.text) == []
    # the provider's metrics socket answers metrics only; its public port has none
    assert httpx.get(f"{stack.url}/metrics").status_code == 404


def test_the_public_port_has_no_metrics(stack: ProviderStack) -> None:
    assert httpx.get(f"{stack.broker.url}/metrics").status_code == 404


def test_every_dashboard_query_names_exported_families(after_full_journeys: tuple[str, set[str]]) -> None:
    text, _ = after_full_journeys
    exported = set()
    for family in text_string_to_metric_families(text):
        exported |= {sample.name for sample in family.samples}
        exported.add(family.name)
    dashboard = json.loads((ROOT / "docs/monitoring/grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    for expr in exprs:
        names = set(re.findall(r"\b(databrug_[a-z_]+)", expr))
        assert names, expr
        assert names <= exported | {f"{n}_total" for n in FAMILIES}, (expr, names - exported)


def _watchers(url: str) -> float:
    found = families(httpx.get(url, timeout=10).text)
    return found["databrug_sse_watchers"][0][2]


def test_an_open_event_stream_is_a_watcher_until_it_ends(
    after_full_journeys: tuple[str, set[str]], stack: ProviderStack
) -> None:
    metrics_url = stack.broker.metrics_url
    assert metrics_url is not None
    endpoints = stack.broker.endpoints()

    async def run() -> tuple[float, float, list[str]]:
        provider = AsyncDatabrugClient(
            endpoints.broker_url,
            endpoints.provider_id,
            endpoints.client_secret,
            private_jwks=endpoints.private_jwks,
        )
        created = await provider.create_session(reference="watched-ref-4711")
        seen: list[str] = []
        opened = asyncio.Event()

        async def follow() -> None:
            async for event in provider.follow_events(created.id):
                seen.append(event.type)
                opened.set()

        task = asyncio.create_task(follow())
        await asyncio.wait_for(opened.wait(), 10)  # the history's first event came: the stream is open
        during = await asyncio.to_thread(_watchers, metrics_url)
        await provider.cancel(created.id)  # a final event ends the stream
        await asyncio.wait_for(task, 10)
        after = await asyncio.to_thread(_watchers, metrics_url)
        await provider.aclose()
        return during, after, seen

    during, after, seen = asyncio.run(run())
    assert seen[-1] == "session.cancelled"
    assert (during, after) == (1, 0)
    found = families(httpx.get(metrics_url, timeout=10).text)
    route = "/api/v1/sessions/{session_id}/events"
    counted = sum(
        v for n, ls, v in found["databrug_http_requests"] if ls.get("route") == route and n.endswith("_total")
    )
    timed = sum(
        v
        for n, ls, v in found["databrug_http_request_duration_seconds"]
        if ls.get("route") == route and n.endswith("_count")
    )
    # the robots poll this route (?after=N, JSON: counted and timed); the one stream is counted, not timed
    assert counted - timed == 1
