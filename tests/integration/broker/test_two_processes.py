"""Two broker processes on one Redis: create on one, pair and collect through the other, watch on either."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from pathlib import Path

import httpx
from tests.support.broker_processes import broker_process, free_port, shared_redis_env
from tests.support.redis_server import RedisServer

from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.journey import Persona, run_journey
from databrug.robot.setup import load_endpoints
from databrug_sandbox.server import SandboxServer


def watch(
    url: str, token: str, session_id: str, seen: list[dict[str, object]], done: threading.Event
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    with httpx.stream(
        "GET", f"{url}/api/v1/sessions/{session_id}/events", headers=headers, timeout=60
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if seen[-1]["state"] == "acknowledged":
                    break
    done.set()


def access_token(url: str, client_id: str, secret: str) -> str:
    answer = httpx.post(
        f"{url}/api/v1/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    token: str = answer.json()["access_token"]
    return token


def test_a_session_moves_between_processes(
    sandbox: SandboxServer, redis_server: RedisServer, tmp_path: Path, personas: dict[str, Persona]
) -> None:
    port_a, port_b = free_port(), free_port()
    env = shared_redis_env(
        redis_server.url,
        "two-processes",
        tmp_path / "providers.json",
        sandbox.base_url,
    )
    settings = Settings(
        broker_port=port_a, sandbox_url=sandbox.base_url, providers_file=tmp_path / "providers.json"
    )
    provision_robot(settings, tmp_path / "robot.json")
    endpoints = load_endpoints(tmp_path / "robot.json")
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    with broker_process(env, port_a, tmp_path / "a.log"), broker_process(env, port_b, tmp_path / "b.log"):
        # The provider talks to A; the citizen's browsers talk to B.
        split = dataclasses.replace(endpoints, broker_url=url_a, citizen_broker_url=url_b)
        persona = personas["couple-both-employed"]

        # Start watching on both processes as soon as the session exists: run the journey in the background.
        token = access_token(url_a, endpoints.provider_id, endpoints.client_secret)
        seen_a: list[dict[str, object]] = []
        seen_b: list[dict[str, object]] = []
        outcome: dict[str, object] = {}

        done_a, done_b = threading.Event(), threading.Event()

        def start_watching(session_id: str) -> None:
            # Live watchers on both processes, started before the citizen does anything.
            for url, seen, done in ((url_a, seen_a, done_a), (url_b, seen_b, done_b)):
                threading.Thread(target=watch, args=(url, token, session_id, seen, done), daemon=True).start()

        def journey() -> None:
            outcome["result"] = asyncio.run(
                run_journey(persona, split, "parallel", on_created=start_watching)
            )

        runner = threading.Thread(target=journey)
        runner.start()
        runner.join(timeout=120)
        result = outcome["result"]
        assert result.ok, result.error  # type: ignore[attr-defined]
        assert done_a.wait(30)
        assert done_b.wait(30)
    assert [e["seq"] for e in seen_a] == [e["seq"] for e in seen_b]
    assert [e["seq"] for e in seen_a] == sorted({int(e["seq"]) for e in seen_a})  # type: ignore[call-overload]
    types = [e["type"] for e in seen_a]
    assert types[0] == "session.created"
    assert types[-1] == "session.acknowledged"
    assert "session.paired" in types
    assert "partner.required" in types
