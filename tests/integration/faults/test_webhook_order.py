"""One session's webhooks arrive in its order after an outage of the provider's endpoint plus a broker crash.

The provider's endpoint is down while two journeys run on broker B (every attempt refused, retried with
jitter); then it hangs (holds each request, answers 503), so B holds leases on attempts in flight, and B is
killed (SIGKILL). Broker A starts on the same Redis, the endpoint is well again: A waits out B's leases and
delivers everything, and per session the events first arrive in the session's order (its event sequence,
package.ready right after session.delivered, package.deleted right after session.acknowledged), none lost.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

from tests.support.broker_processes import broker_process, free_port
from tests.support.redis_server import RedisServer
from tests.support.webhook_receiver import WebhookReceiver

from databrug.bootstrap import configured_broker_secret
from databrug.config import Settings
from databrug.provisioning import register
from databrug.registrations.store import ProviderRegistry
from databrug.robot.journey import Endpoints, Persona, run_journey
from databrug.sdk import generate_provider_keys
from databrug_sandbox.server import SandboxServer

PERSONAS = ["single-renter-low-wage", "couple-both-employed"]
LEASE_SECONDS = 4.0
BROKER_SECRET = "shared-between-processes"
AFTER = {"package.ready": "session.delivered", "package.deleted": "session.acknowledged"}


def places(arrivals: list[tuple[str, dict[str, Any]]]) -> list[float]:
    """Each arrival's place in its session: the event sequence, a package event just after its step."""
    step = {kind: data["sequence"] for kind, data in arrivals if "sequence" in data}
    return [data["sequence"] if "sequence" in data else step[AFTER[kind]] + 0.5 for kind, data in arrivals]


def wait_until(done: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_one_sessions_webhooks_arrive_in_order_after_an_outage_and_a_crash(
    sandbox: SandboxServer, redis_server: RedisServer, tmp_path: Path, personas: dict[str, Persona]
) -> None:
    port_a, port_b = free_port(), free_port()
    url_b = f"http://127.0.0.1:{port_b}"
    receiver = WebhookReceiver(hold_seconds=LEASE_SECONDS / 2)
    settings = Settings(
        public_url=url_b,
        sandbox_url=sandbox.base_url,
        providers_file=tmp_path / "providers.json",
        broker_secret=BROKER_SECRET,
    )
    registry = ProviderRegistry.load(settings.providers_file, configured_broker_secret(settings))
    keys = generate_provider_keys()
    _, client_secret, webhook_secret = register(
        registry,
        "ordered-hooks",
        "Webhookvolgorde",
        return_url="http://127.0.0.1/",
        public_jwks=keys.public_jwks,
        webhook_url=receiver.url,
    )
    registry.save(settings.providers_file, configured_broker_secret(settings))
    assert webhook_secret is not None
    receiver.secret = webhook_secret
    env = {
        "DATABRUG_SESSION_STORE": "redis",
        "DATABRUG_REDIS_URL": redis_server.url,
        "DATABRUG_REDIS_PREFIX": "webhook-order",
        "DATABRUG_BROKER_SECRET": BROKER_SECRET,
        "DATABRUG_PROVIDERS_FILE": str(settings.providers_file),
        "DATABRUG_SANDBOX_URL": sandbox.base_url,
        "DATABRUG_PUBLIC_URL": url_b,
        "DATABRUG_WEBHOOK_POLL_SECONDS": "0.1",
        "DATABRUG_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
        "DATABRUG_WEBHOOK_RETRY_CAP_SECONDS": "0.5",
        "DATABRUG_WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    endpoints = Endpoints(url_b, sandbox.base_url, "ordered-hooks", client_secret, keys.private_jwks)
    try:
        with broker_process(env, port_b, tmp_path / "b.log") as process_b:

            async def journeys() -> list[str]:
                results = await asyncio.gather(*(run_journey(personas[p], endpoints) for p in PERSONAS))
                assert all(r.ok for r in results), [r.error for r in results]
                return [str(r.session_id) for r in results]

            sessions = asyncio.run(journeys())  # delivered and acknowledged, the endpoint down throughout
            assert receiver.received == []
            receiver.start(mode="hold")
            wait_until(lambda: receiver.in_flight >= 1, 10, "B sent no attempt to the hung endpoint")
            process_b.send_signal(signal.SIGKILL)  # holding leases on attempts in flight
            process_b.wait(timeout=10)
        assert process_b.returncode == -signal.SIGKILL
        receiver.mode = "accept"
        with broker_process(env, port_a, tmp_path / "a.log"):

            def all_arrived() -> bool:
                arrived = receiver.first_arrivals()
                return all("package.deleted" in {kind for kind, _ in arrived.get(s, [])} for s in sessions)

            wait_until(all_arrived, 60, "not every session's events arrived")
            time.sleep(1.0)  # anything left over (a repeat, a straggler) has arrived
    finally:
        receiver.stop()

    arrived = receiver.first_arrivals()
    assert set(arrived) == set(sessions)
    assert receiver.refused == 0
    for session in sessions:
        order = places(arrived[session])
        assert order == sorted(order), [kind for kind, _ in arrived[session]]
        sequences = [data["sequence"] for _, data in arrived[session] if "sequence" in data]
        assert sequences == list(range(1, len(sequences) + 1))  # from created on, none lost
        kinds = [kind for kind, _ in arrived[session]]
        assert kinds.count("package.ready") == kinds.count("package.deleted") == 1
