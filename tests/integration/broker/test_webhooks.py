"""Webhooks for real: a provider endpoint that is down for a while still gets every event exactly once."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.support.broker_server import BrokerServer, bind_socket

from databrug.provisioning import register
from databrug.robot.journey import Persona, run_journey
from databrug.sdk import (
    DatabrugClient,
    MemoryReplayCache,
    WebhookVerificationError,
    generate_provider_keys,
    verify_webhook,
)
from databrug_sandbox.server import SandboxServer


class Receiver:
    """The provider's webhook endpoint: verifies with the SDK, records what arrived, refuses forgeries."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.cache = MemoryReplayCache()
        self.received: list[tuple[str, str, dict[str, Any]]] = []  # WebhookEvent.data: JSON
        self.refused = 0
        self.socket = bind_socket()
        self.port: int = self.socket.getsockname()[1]
        self.socket.close()  # down until start(): the broker's attempts are refused
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        try:
            event = verify_webhook(dict(request.headers), body, [self.secret], replay_cache=self.cache)
        except WebhookVerificationError:
            self.refused += 1
            return Response(status_code=400)
        self.received.append((event.type, event.id, dict(event.data)))
        return Response(status_code=204)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        if self.server and self.thread:
            self.server.should_exit = True
            self.thread.join(timeout=10)


@pytest.fixture
def quick_broker(sandbox: SandboxServer, tmp_path: Path) -> BrokerServer:
    broker = BrokerServer(
        tmp_path, sandbox.base_url, webhook_retry_base_seconds=0.2, webhook_retry_cap_seconds=0.5
    )
    return broker.start()


def test_a_provider_that_was_down_gets_every_package_exactly_once(
    quick_broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    keys = generate_provider_keys()
    receiver = Receiver(secret="")
    _, secret, webhook_secret = register(
        quick_broker.broker.registry,
        "hook-provider",
        "Webhookprovider",
        return_url="http://127.0.0.1/",
        public_jwks=keys.public_jwks,
        webhook_url=receiver.url,
    )
    assert webhook_secret is not None  # a provider with a webhook URL gets one
    receiver.secret = webhook_secret
    endpoints = dataclasses.replace(
        quick_broker.endpoints(),
        provider_id="hook-provider",
        client_secret=secret,
        private_jwks=keys.private_jwks,
    )
    chosen = [personas["single-renter-low-wage"], personas["couple-both-employed"], personas["ww-benefit"]]
    try:

        async def journeys() -> list[str]:
            results = await asyncio.gather(*(run_journey(p, endpoints, pickup=False) for p in chosen))
            assert all(r.ok for r in results), [r.error for r in results]
            return [str(r.session_id) for r in results]

        sessions = asyncio.run(journeys())
        time.sleep(1.0)  # several failed attempts while the endpoint is down
        assert receiver.received == []
        receiver.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            arrived = [data["session_id"] for kind, _, data in receiver.received if kind == "package.ready"]
            if sorted(arrived) == sorted(sessions):
                break
            time.sleep(0.1)
        time.sleep(1.5)  # give any duplicate the chance to arrive
        ids = Counter(event_id for _, event_id, _ in receiver.received)
        assert all(count == 1 for count in ids.values()), ids
        ready = Counter(data["session_id"] for kind, _, data in receiver.received if kind == "package.ready")
        assert ready == Counter(sessions)
        assert receiver.refused == 0
        # Every session step went to the webhook too, in order of its sequence.
        for session in sessions:
            steps = [
                data["sequence"]
                for kind, _, data in receiver.received
                if data.get("session_id") == session and "sequence" in data
            ]
            assert "session.delivered" in {
                k for k, _, d in receiver.received if d.get("session_id") == session
            }
            assert len(steps) == len(set(steps))
        # The package can be picked up once the provider is back, and acknowledging deletes it.
        with DatabrugClient(
            endpoints.broker_url, "hook-provider", secret, private_jwks=keys.private_jwks
        ) as client:
            for session in sessions:
                package = client.fetch_package(session)
                assert package.provider.id == "hook-provider"
                client.acknowledge(session)
        deadline = time.monotonic() + 10
        while (
            time.monotonic() < deadline and sum(k == "package.deleted" for k, _, _ in receiver.received) < 3
        ):
            time.sleep(0.1)
        assert sum(kind == "package.deleted" for kind, _, _ in receiver.received) == 3
    finally:
        receiver.stop()
        quick_broker.stop()
