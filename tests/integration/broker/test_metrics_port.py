"""``databrug serve`` with ``DATABRUG_METRICS_PORT``: a real process serves the metrics on its second socket
only, and a robot journey through it shows in them (memory store; a Redis-backed process counts too)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.support.broker_processes import broker_process, free_port
from tests.support.redis_server import RedisServer

from databrug.config import Settings
from databrug.metrics import FAMILIES
from databrug.provisioning import provision_robot
from databrug.robot.journey import Persona, run_journey
from databrug.robot.setup import load_endpoints
from databrug_sandbox.server import SandboxServer


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_serve_exposes_metrics_on_the_private_port_only(
    store: str,
    request: pytest.FixtureRequest,
    sandbox: SandboxServer,
    tmp_path: Path,
    personas: dict[str, Persona],
) -> None:
    port, metrics_port = free_port(), free_port()
    env = {
        "DATABRUG_BROKER_SECRET": "metrics-port-test",
        "DATABRUG_PROVIDERS_FILE": str(tmp_path / "providers.json"),
        "DATABRUG_SANDBOX_URL": sandbox.base_url,
        "DATABRUG_METRICS_PORT": str(metrics_port),
    }
    if store == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        env |= {
            "DATABRUG_SESSION_STORE": "redis",
            "DATABRUG_REDIS_URL": redis.url,
            "DATABRUG_REDIS_PREFIX": "m",
        }
    settings = Settings(
        broker_port=port,
        sandbox_url=sandbox.base_url,
        providers_file=tmp_path / "providers.json",
        broker_secret="metrics-port-test",
    )
    provision_robot(settings, tmp_path / "robot.json")
    with broker_process(env, port, tmp_path / "broker.log"):
        result = asyncio.run(
            run_journey(
                personas["single-renter-low-wage"], load_endpoints(tmp_path / "robot.json"), "parallel"
            )
        )
        assert result.ok, result.error
        scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 404
        assert httpx.get(f"http://127.0.0.1:{metrics_port}/health").status_code == 404
        assert httpx.get(f"http://127.0.0.1:{metrics_port}/api/v1/openapi.json").status_code == 404
    assert scrape.status_code == 200
    found = {f.name: f.samples for f in text_string_to_metric_families(scrape.text)}
    assert set(FAMILIES) <= set(found)
    acknowledged = [
        s
        for s in found["databrug_session_transitions"]
        if s.name.endswith("_total") and s.labels == {"from_state": "delivered", "to_state": "acknowledged"}
    ]
    assert [s.value for s in acknowledged] == [1.0]
    assert sum(s.value for s in found["databrug_source_fetches"] if s.name.endswith("_total")) >= 4
    if store == "redis":  # no cheap count of sessions by state in Redis: the family is there, empty
        assert found["databrug_sessions"] == []
    assert result.session_id is not None
    assert result.session_id not in scrape.text
