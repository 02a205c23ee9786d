"""A broker process killed mid-journey (SIGKILL, no goodbye): the citizen's journey carries on through the
other process on the same Redis, as it would behind a load balancer, and the package arrives once."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import subprocess
from pathlib import Path

from tests.support.balancer import Balancer
from tests.support.broker_processes import broker_process, free_port, shared_redis_env
from tests.support.redis_server import RedisServer

from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.journey import Persona, run_journey
from databrug.robot.setup import load_endpoints
from databrug_sandbox.server import SandboxServer

PERSONA = "couple-both-employed"  # two people: the partner's half runs on the surviving process


def test_the_journey_completes_through_the_other_process(
    sandbox: SandboxServer, redis_server: RedisServer, tmp_path: Path, personas: dict[str, Persona]
) -> None:
    port_a, port_b = free_port(), free_port()
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    processes: dict[str, subprocess.Popen[bytes]] = {}
    killed_at: list[str] = []

    def kill_b_after_the_applicant(method: str, path: str) -> None:
        # The applicant has logged in and collected through B; B dies before 'continue' reaches it.
        if method == "POST" and path == "/app/next" and not killed_at:
            processes["b"].send_signal(signal.SIGKILL)
            processes["b"].wait(timeout=10)
            killed_at.append(path)

    with Balancer([url_b, url_a], before=kill_b_after_the_applicant) as balancer:
        env = shared_redis_env(
            redis_server.url,
            "killed-process",
            tmp_path / "providers.json",
            sandbox.base_url,
            public_url=balancer.url,  # links, QR codes and the DigiD return go to the balancer
        )
        settings = Settings(
            public_url=balancer.url, sandbox_url=sandbox.base_url, providers_file=tmp_path / "providers.json"
        )
        provision_robot(settings, tmp_path / "robot.json")
        endpoints = dataclasses.replace(load_endpoints(tmp_path / "robot.json"), broker_url=url_a)
        with (
            broker_process(env, port_a, tmp_path / "a.log"),
            broker_process(env, port_b, tmp_path / "b.log") as process_b,
        ):
            processes["b"] = process_b
            # The provider talks to A; the citizen's computer and phone go through the balancer.
            citizen_side = dataclasses.replace(endpoints, citizen_broker_url=balancer.url)
            result = asyncio.run(run_journey(personas[PERSONA], citizen_side, "parallel"))

    assert killed_at == ["/app/next"]
    assert process_b.returncode == -signal.SIGKILL
    assert result.ok, result.error
    assert result.outcome == "delivered and acknowledged"
    assert set(result.package["subjects"]) == {"applicant", "partner"}
    assert result.events.count("session.delivered") == 1
    assert result.events.count("session.acknowledged") == 1
    assert balancer.served[url_b] > 5  # pairing, login and collecting really ran on B
    assert balancer.served[url_a] > 5  # and the rest on A
