"""With the recipe's Redis persistence (append-only file, fsync per write: docs/deployment.md), a Redis crash
right after the citizen saw "sent" loses nothing: the package the provider has not picked up yet is still
there, and every webhook queued while the provider's endpoint was down still arrives, in order. The file on
Redis's disk holds none of the person's personal values (sealed blobs, a JWE, hashes, ids and counts)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

from tests.support.broker_server import BrokerServer
from tests.support.leaks import find, personal_values
from tests.support.restartable_redis import RestartableRedis
from tests.support.webhook_receiver import WebhookReceiver

from databrug.provisioning import register
from databrug.robot.journey import Persona, run_journey
from databrug.sdk import DatabrugClient, generate_provider_keys
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.server import SandboxServer

PERSONA = "couple-both-employed"
SECRETS = personal_values([CATALOGUE[PERSONA]])


def kinds_of(receiver: WebhookReceiver, session: str) -> list[str]:
    return [kind for kind, _ in receiver.first_arrivals().get(session, [])]


def wait_for(receiver: WebhookReceiver, session: str, kind: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while kind not in kinds_of(receiver, session):
        assert time.monotonic() < deadline, f"no {kind} within {seconds} s"
        time.sleep(0.05)


def test_a_redis_crash_after_sent_loses_no_package_and_no_webhook(
    sandbox: SandboxServer, tmp_path: Path, personas: dict[str, Persona]
) -> None:
    receiver = WebhookReceiver()  # down: every attempt is refused, the events stay pending
    (tmp_path / "redis").mkdir()
    with RestartableRedis(tmp_path / "redis", append_only=True) as redis:
        overrides: dict[str, Any] = {
            "session_store": "redis",
            "redis_url": redis.url,
            "redis_prefix": "persisted",
            "webhook_retry_base_seconds": 0.2,
            "webhook_retry_cap_seconds": 0.5,
        }
        with BrokerServer(tmp_path, sandbox.base_url, **overrides) as broker:
            keys = generate_provider_keys()
            _, secret, webhook_secret = register(
                broker.broker.registry,
                "persisted-hooks",
                "Bewaarde webhooks",
                return_url="http://127.0.0.1/",
                public_jwks=keys.public_jwks,
                webhook_url=receiver.url,
            )
            assert webhook_secret is not None
            receiver.secret = webhook_secret
            endpoints = dataclasses.replace(
                broker.endpoints(),
                provider_id="persisted-hooks",
                client_secret=secret,
                private_jwks=keys.private_jwks,
            )
            result = asyncio.run(run_journey(personas[PERSONA], endpoints, pickup=False))
            assert result.ok, result.error
            assert result.outcome == "delivered"
            session = str(result.session_id)

            redis.stop()  # SIGKILL right after "sent": no clean shutdown, no last write
            redis.start()
            receiver.start()
            try:
                wait_for(receiver, session, "package.ready")
                with DatabrugClient(
                    broker.url, "persisted-hooks", secret, private_jwks=keys.private_jwks
                ) as client:
                    package = client.fetch_package(session)  # still there after the crash
                    assert package.provider.id == "persisted-hooks"
                    client.acknowledge(session)
                wait_for(receiver, session, "package.deleted")
            finally:
                receiver.stop()
        on_disk = b"".join(path.read_bytes() for path in (tmp_path / "redis").rglob("*") if path.is_file())

    arrived = receiver.first_arrivals()[session]
    sequences = [data["sequence"] for _, data in arrived if "sequence" in data]
    assert sequences == list(range(1, len(sequences) + 1))  # every step from created on, in order
    kinds = kinds_of(receiver, session)
    assert (
        kinds.index("session.delivered") < kinds.index("package.ready") < kinds.index("session.acknowledged")
    )
    assert kinds[-1] == "package.deleted"
    assert len(on_disk) > 10_000  # the journey's writes really are in the file
    assert find(SECRETS, on_disk) == []
