"""The scaled-out set for real: two ``databrug serve`` processes behind nginx (round robin, no affinity) on
one redis-server, the sandbox, and the demo provider on PostgreSQL — the set ``scripts/scale-out.sh`` starts.

Every catalogue persona's robot journey runs through the balancer (provider API and both browsers), and the
demo provider's own flow (application → invitation → journey → webhook → advice) runs on PostgreSQL
through it.
"""

from __future__ import annotations

import asyncio
import collections
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.support.citizen_journey import complete_journey
from tests.support.scale_out import ScaleOut

from databrug.provider_demo.services import DEMO_CASEWORKER
from databrug.robot.journey import Login
from databrug.robot.run import run_many
from databrug.robot.setup import load_endpoints, load_personas

pytestmark = pytest.mark.slow

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ACCESS_LINE = re.compile(r" databrug\.access (GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) ")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleOut]:
    with ScaleOut(tmp_path_factory.mktemp("scale"), brokers=2, provider=True) as running:
        yield running


def _answered_by_broker(stack: ScaleOut) -> list[int]:
    """Requests each broker process logged (its own access log on stdout, one line per request)."""
    counts = []
    for index in range(stack.brokers):
        text = stack.broker_log(index).read_text(encoding="utf-8", errors="replace")
        counts.append(len(ACCESS_LINE.findall(text)))
    return counts


def _upstreams(stack: ScaleOut) -> collections.Counter[str]:
    """The broker nginx chose per request on the balancer's port (the access log's last field)."""
    deadline = time.monotonic() + 5  # nginx flushes its buffered log every second
    while True:
        lines = stack.access_log.read_text(encoding="utf-8").splitlines() if stack.access_log.exists() else []
        front = [line.split() for line in lines if line.split()[1] == str(stack.lb_port)]
        if front or time.monotonic() > deadline:
            return collections.Counter(fields[-1] for fields in front)
        time.sleep(0.2)


def test_every_persona_completes_through_the_balancer(stack: ScaleOut) -> None:
    before = _answered_by_broker(stack)
    endpoints = load_endpoints(stack.robot_credentials)
    assert endpoints.broker_url == stack.lb_url  # the provider API goes through nginx too
    personas = load_personas(stack.sandbox_url)
    assert len(personas) >= 10
    results = asyncio.run(run_many(list(personas.values()), endpoints, "parallel", concurrency=7))
    failures = {r.persona: r.error for r in results if not r.ok}
    assert not failures
    delivered = [r for r in results if r.outcome == "delivered and acknowledged"]
    assert len(delivered) >= len(results) - 2  # the no-SMS personas are refused by design
    for result in delivered:
        assert result.events[-1] == "session.acknowledged"

    after = _answered_by_broker(stack)
    handled = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(handled)
    assert total >= 20 * len(results)
    # Round robin without affinity: each process answered a fair share of every journey's requests.
    assert min(handled) >= total * 0.3, handled
    upstreams = _upstreams(stack)
    assert {f"127.0.0.1:{port}" for port in stack.broker_ports} <= set(upstreams)


def test_broker_processes_hold_no_session_of_their_own(stack: ScaleOut) -> None:
    """A session created through one process is read by the other: both answer for it directly."""
    endpoints = load_endpoints(stack.robot_credentials)
    token = httpx.post(
        f"{stack.lb_url}/api/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": endpoints.provider_id,
            "client_secret": endpoints.client_secret,
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    first, second = (f"http://127.0.0.1:{port}" for port in stack.broker_ports)
    created = httpx.post(f"{first}/api/v1/sessions", json={"reference": "scale-check"}, headers=headers)
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    seen = httpx.get(f"{second}/api/v1/sessions/{session_id}", headers=headers)
    assert seen.status_code == 200
    assert seen.json()["state"] == created.json()["state"]
    assert httpx.post(f"{second}/api/v1/sessions/{session_id}/cancel", headers=headers).status_code < 300


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "every form carries a CSRF token"
    return found.group(1)


def test_provider_on_postgresql_receives_a_package_through_the_balancer(stack: ScaleOut) -> None:
    assert stack.database_url.startswith("postgresql://")
    site = httpx.Client(base_url=stack.provider_url, follow_redirects=False)
    form = site.get("/aanvragen", params={"gemeente": "GM0599"})
    answer = site.post(
        "/aanvragen",
        data={
            "csrf": _csrf(form),
            "gemeente": "Rotterdam",
            "consent": "yes",
            "name": "Test Aanvrager",
            "email": "scale-out@example.nl",
            "phone": "06 12345678",
            "partner": "no",
            "children": "2",
        },
    )
    assert answer.status_code == 303
    mails = httpx.get(f"{stack.mail_url}/api/messages").json()
    [mail] = [m for m in mails if "scale-out@example.nl" in str(m)]
    link = re.search(r"(http\S+/start\?t=[^\s\"\\]+)", str(mail))
    assert link is not None
    assert link.group(1).startswith(stack.lb_url)  # the invitation points at the balancer

    asyncio.run(
        complete_journey(
            link.group(1), stack.lb_url, stack.sandbox_url, Login("single-parent-benefit", "Proef-0158")
        )
    )
    office = httpx.Client(base_url=stack.provider_url, follow_redirects=False)
    page = office.get("/backoffice/login")
    username, password, _ = DEMO_CASEWORKER
    logged_in = office.post(
        "/backoffice/login", data={"csrf": _csrf(page), "username": username, "password": password}
    )
    assert logged_in.status_code == 303
    deadline = time.monotonic() + 30
    while 'class="badge status-advised"' not in office.get("/backoffice").text:
        assert time.monotonic() < deadline, "the case got no advice: the package did not arrive"
        time.sleep(0.5)
