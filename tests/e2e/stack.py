"""The product on loopback for the browser tests: the sandbox and the broker, each on a free port, in threads.

Also runnable by hand (``.venv/bin/python -m tests.e2e.stack``) to look at the pages with a real browser.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from databrug.bootstrap import build_broker
from databrug.broker import Broker
from databrug.config import Settings
from databrug.provisioning import register
from databrug.records import SourceName
from databrug.registrations.model import Branding
from databrug.registrations.store import ProviderRegistry
from databrug.robot.journey import Persona
from databrug.robot.setup import load_personas
from databrug.sdk import DatabrugClient, generate_provider_keys
from databrug.web.app import create_app
from databrug_sandbox.server import SandboxServer, SandboxSettings

PROVIDER_ID = "woonstichting-e2e"
PROVIDER_NAME = "Woonstichting Voorbeeld"
OPTIONAL_SOURCE: SourceName = "mijnpensioenoverzicht"
BRAND_COLOUR = "#0b5d4b"  # the provider's own colour (dark green; white text on it passes AA)
T = TypeVar("T")


SUPPORT_PHONE = "030 123 4567"


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class _Uvicorn:
    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)

    def _serve(self, sock: socket.socket) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve(sockets=[sock]))

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the broker's own event loop (its store and locks live there)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the broker did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Stack:
    sandbox: SandboxServer
    broker_url: str
    client_secret: str
    private_jwks: dict[str, Any]
    personas: dict[str, Persona]
    broker: Broker
    _broker: _Uvicorn

    def provider(self) -> DatabrugClient:
        return DatabrugClient(
            self.broker_url, PROVIDER_ID, self.client_secret, private_jwks=self.private_jwks
        )

    def expire_open_sessions(self) -> None:
        """As if the sessions' time ran out: the broker's expiry sweep, a month from now."""
        later = datetime.now(UTC) + timedelta(days=30)
        self._broker.call(self.broker.sessions.expire_due(now=later))

    def set_draining(self, draining: bool) -> None:
        """As if the broker began to stop (``Broker.drain``: its event streams end with a reconnect), or, with
        False, as if the reconnect had reached another broker that is up."""

        async def switch() -> None:
            if draining:
                self.broker.drain()
            else:
                self.broker.draining = False

        self._broker.call(switch())

    @property
    def sandbox_url(self) -> str:
        return self.sandbox.base_url

    def stop(self) -> None:
        self._broker.stop()
        self.sandbox.stop()


def start_stack(workdir: Path) -> Stack:
    sandbox = SandboxServer(SandboxSettings(port=0)).start()
    sock = _free_socket()
    port = sock.getsockname()[1]
    settings = Settings(
        broker_port=port,
        sandbox_url=sandbox.base_url,
        providers_file=workdir / "providers.json",
        expiry_sweep_seconds=3600,
    )
    registry = ProviderRegistry.load(settings.providers_file)
    keys = generate_provider_keys()
    provider, secret, _ = register(
        registry,
        PROVIDER_ID,
        PROVIDER_NAME,
        return_url=f"{settings.broker_url()}/?case={{reference}}",  # where "back to the provider" leads
        public_jwks=keys.public_jwks,
        partner="optional",
        support_email="klantenservice@woonstichting.invalid",
        support_phone=SUPPORT_PHONE,
    )
    required = [s for s in provider.required_sources if s != OPTIONAL_SOURCE]
    branding = Branding(primary_colour=BRAND_COLOUR, accent_colour="#f0b400")
    registry.put(
        provider.model_copy(
            update={"required_sources": required, "optional_sources": [OPTIONAL_SOURCE], "branding": branding}
        )
    )
    registry.save(settings.providers_file)
    broker = build_broker(settings)
    server = _Uvicorn(create_app(broker), sock)
    server.start()
    return Stack(
        sandbox=sandbox,
        broker_url=settings.broker_url(),
        client_secret=secret,
        private_jwks=keys.private_jwks,
        personas=load_personas(sandbox.base_url),
        broker=broker,
        _broker=server,
    )


if __name__ == "__main__":  # pragma: no cover - a manual aid
    import tempfile

    stack = start_stack(Path(tempfile.mkdtemp()))
    with stack.provider() as client:
        created = client.create_session(reference="by-hand")
    print("invitation:", created.citizen_url)
    print("sandbox personas:", f"{stack.sandbox_url}/admin/personas")
    try:
        asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        stack.stop()
