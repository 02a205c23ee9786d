"""Failure injection over real HTTP: each fault kind, set and cleared through /admin/faults."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.sandbox.conftest import TEST_PASSWORD
from tests.support.digid_flow import DigidBrowser

from databrug.sources.errors import SourceMaintenance
from databrug.sources.http import RetryPolicy, fetch
from databrug_sandbox.faults import FaultConfigError, FaultSettings, load_fault_plan
from databrug_sandbox.server import SandboxServer

BRP_PATH = "/mijnoverheid/haalcentraal/api/brp/personen"
HTTP = httpx.Client(timeout=30.0)


@pytest.fixture(scope="module")
def token(sandbox: SandboxServer) -> str:
    with DigidBrowser(sandbox.base_url) as browser:
        access: str = browser.tokens("test-a", TEST_PASSWORD)["access_token"]
    return access


@pytest.fixture(autouse=True)
def no_faults_after(sandbox: SandboxServer) -> Iterator[None]:
    yield
    HTTP.delete(f"{sandbox.base_url}/admin/faults")


def set_fault(sandbox: SandboxServer, target: str, **settings: Any) -> None:
    response = HTTP.put(f"{sandbox.base_url}/admin/faults/{target}", json=settings)
    assert response.status_code == 200, response.text


def brp(sandbox: SandboxServer, token: str) -> httpx.Response:
    own = sandbox.idp.accounts.find("test-a")
    assert own is not None
    body = {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [own.bsn], "fields": ["naam"]}
    return HTTP.post(sandbox.base_url + BRP_PATH, json=body, headers={"Authorization": f"Bearer {token}"})


def timed(call: Any) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = call()
    return response, time.perf_counter() - start


def test_fixed_and_random_latency(sandbox: SandboxServer, token: str) -> None:
    baseline = min(timed(lambda: brp(sandbox, token))[1] for _ in range(3))  # the fastest: a busy machine
    set_fault(sandbox, "mijnoverheid", latency_ms=300)
    response, slow = timed(lambda: brp(sandbox, token))
    assert response.status_code == 200
    assert slow >= 0.3
    set_fault(sandbox, "mijnoverheid", latency_ms=[150, 250])
    _, ranged = timed(lambda: brp(sandbox, token))
    assert ranged >= 0.15
    assert baseline < 0.15


def test_error_rate(sandbox: SandboxServer, token: str) -> None:
    set_fault(sandbox, "mijnoverheid", error_rate=1.0)
    assert brp(sandbox, token).status_code == 500
    sandbox.faults.rng = random.Random(7)
    set_fault(sandbox, "mijnoverheid", error_rate=0.5)
    statuses = [brp(sandbox, token).status_code for _ in range(30)]
    assert set(statuses) == {200, 500}


def test_maintenance_is_503_with_retry_after(sandbox: SandboxServer, token: str) -> None:
    set_fault(sandbox, "mijnoverheid", maintenance=True, retry_after_seconds=120)
    response = brp(sandbox, token)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "120"
    # Only the target is affected.
    other = HTTP.get(
        f"{sandbox.base_url}/mijnpensioenoverzicht/api/download?formaat=xml",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert other.status_code != 503


async def test_the_product_fetch_helper_reports_maintenance(sandbox: SandboxServer, token: str) -> None:
    set_fault(sandbox, "uwv", maintenance=True, retry_after_seconds=600)
    async with httpx.AsyncClient() as client:
        with pytest.raises(SourceMaintenance):
            await fetch(
                client,
                "GET",
                f"{sandbox.base_url}/uwv/api/verzekeringsbericht",
                source="uwv",
                token=token,
                policy=RetryPolicy(attempts=2, base_delay=0.01),
            )


def test_malformed_and_truncated_documents(sandbox: SandboxServer, token: str) -> None:
    healthy = brp(sandbox, token).content
    json.loads(healthy)

    set_fault(sandbox, "mijnoverheid", truncated=True)
    cut = brp(sandbox, token)
    assert cut.status_code == 200
    assert cut.content == healthy[: len(healthy) // 2]

    set_fault(sandbox, "mijnoverheid", malformed=True)
    broken = brp(sandbox, token)
    assert broken.status_code == 200
    assert broken.content != healthy
    with pytest.raises(ValueError, match=r".+"):
        json.loads(broken.content)


def test_errors_are_not_damaged(sandbox: SandboxServer) -> None:
    set_fault(sandbox, "mijnoverheid", malformed=True)
    response = HTTP.post(sandbox.base_url + BRP_PATH, json={})
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_slow_stream(sandbox: SandboxServer, token: str) -> None:
    size = len(brp(sandbox, token).content)
    rate = max(1, size * 2)  # the whole body should take about half a second
    set_fault(sandbox, "mijnoverheid", slow_stream_bytes_per_second=rate)
    response, elapsed = timed(lambda: brp(sandbox, token))
    assert response.status_code == 200
    assert len(response.content) == size
    assert elapsed >= 0.4


def test_oversized_answer_is_padded_and_sent_without_a_length(sandbox: SandboxServer, token: str) -> None:
    healthy = brp(sandbox, token).content
    size = 3 * 1024 * 1024 + 5  # several padding pieces and a short last one
    set_fault(sandbox, "mijnoverheid", oversized_bytes=size)
    response = brp(sandbox, token)
    assert response.status_code == 200
    assert "content-length" not in response.headers  # chunked: only a cap while streaming stops it
    assert len(response.content) == size
    assert response.content.startswith(healthy)
    assert response.content[len(healthy) :].strip(b" ") == b""


def test_digid_target_and_clearing(sandbox: SandboxServer) -> None:
    discovery = f"{sandbox.base_url}/digid/.well-known/openid-configuration"
    set_fault(sandbox, "digid", maintenance=True)
    assert HTTP.get(discovery).status_code == 503
    assert HTTP.get(f"{sandbox.base_url}/admin/faults/digid").json()["maintenance"] is True
    assert HTTP.delete(f"{sandbox.base_url}/admin/faults/digid").status_code == 200
    assert HTTP.get(discovery).status_code == 200
    healthy = FaultSettings().model_dump(mode="json")
    assert HTTP.get(f"{sandbox.base_url}/admin/faults").json()["digid"] == healthy


@pytest.mark.parametrize(
    "settings",
    [{"error_rate": 2}, {"latency_ms": [300, 100]}, {"latency_ms": -1}, {"surprise": True}],
)
def test_invalid_fault_settings_are_refused(sandbox: SandboxServer, settings: dict[str, Any]) -> None:
    assert HTTP.put(f"{sandbox.base_url}/admin/faults/uwv", json=settings).status_code == 422
    assert HTTP.get(f"{sandbox.base_url}/admin/faults/uwv").json() == FaultSettings().model_dump(mode="json")


def test_unknown_target_is_404(sandbox: SandboxServer) -> None:
    assert HTTP.put(f"{sandbox.base_url}/admin/faults/kvk", json={"maintenance": True}).status_code == 404


def test_faults_from_a_yaml_file_and_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "faults.yaml"
    config.write_text("uwv:\n  maintenance: true\n  retry_after_seconds: 5\ndigid:\n  latency_ms: [10, 20]\n")
    plan = load_fault_plan(config)
    assert plan.uwv.maintenance
    assert plan.digid.latency_ms == (10, 20)
    assert not plan.mijnoverheid.active

    env = {"DATABRUG_SANDBOX_FAULTS": '{"belastingdienst": {"error_rate": 0.25}}'}
    env_plan = load_fault_plan(environ=env)
    assert env_plan.belastingdienst.error_rate == 0.25
    with pytest.raises(FaultConfigError, match="error_rate"):
        load_fault_plan(environ={"DATABRUG_SANDBOX_FAULTS": '{"uwv": {"error_rate": 5}}'})
    with pytest.raises(FaultConfigError, match="not valid JSON"):
        load_fault_plan(environ={"DATABRUG_SANDBOX_FAULTS": "{"})


def test_the_sms_inbox_is_never_faulted(sandbox: SandboxServer) -> None:
    set_fault(sandbox, "digid", maintenance=True)
    assert HTTP.get(f"{sandbox.base_url}/digid/jwks").status_code == 503
    assert HTTP.get(f"{sandbox.base_url}/digid/sms").status_code == 200
    assert HTTP.get(f"{sandbox.base_url}/digid/api/sms", params={"username": "nobody"}).status_code == 404
