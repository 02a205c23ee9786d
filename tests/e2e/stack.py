"""The product on loopback for the browser tests: the sandbox and the broker, each on a free port, in threads.

Also runnable by hand (``.venv/bin/python -m tests.e2e.stack``) to look at the pages with a real browser.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from databrug.bootstrap import build_broker
from databrug.config import Settings
from databrug.provisioning import register
from databrug.registrations.store import ProviderRegistry
from databrug.robot.journey import Persona
from databrug.robot.setup import load_personas
from databrug.sdk import DatabrugClient, generate_provider_keys
from databrug.web.app import create_app
from databrug_sandbox.server import SandboxServer, SandboxSettings

PROVIDER_ID = "woonstichting-e2e"
PROVIDER_NAME = "Woonstichting Voorbeeld"
OPTIONAL_SOURCE = "mijnpensioenoverzicht"


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class _Uvicorn:
    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

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
    _broker: _Uvicorn

    def provider(self) -> DatabrugClient:
        return DatabrugClient(
            self.broker_url, PROVIDER_ID, self.client_secret, private_jwks=self.private_jwks
        )

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
        return_url=f"{settings.broker_url()}/",
        public_jwks=keys.public_jwks,
        partner="optional",
        support_email="klantenservice@woonstichting.invalid",
    )
    required = [s for s in provider.required_sources if s != OPTIONAL_SOURCE]
    registry.put(
        provider.model_copy(update={"required_sources": required, "optional_sources": [OPTIONAL_SOURCE]})
    )
    registry.save(settings.providers_file)
    broker = _Uvicorn(create_app(build_broker(settings)), sock)
    broker.start()
    return Stack(
        sandbox=sandbox,
        broker_url=settings.broker_url(),
        client_secret=secret,
        private_jwks=keys.private_jwks,
        personas=load_personas(sandbox.base_url),
        _broker=broker,
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
