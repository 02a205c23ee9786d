"""The broker as a real server for tests: uvicorn in a thread on a free loopback port, lifespan on, with the
server configuration ``databrug serve`` runs with (``web/server.py``)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from databrug.bootstrap import build_broker
from databrug.broker import Broker
from databrug.cli import edge_limits
from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.journey import Endpoints
from databrug.robot.setup import load_endpoints
from databrug.web.app import create_app
from databrug.web.metrics import MetricsPort
from databrug.web.server import server_config

BROKER_SECRET = "test-broker-secret"


def bind_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    return sock


class BrokerServer:
    """``with BrokerServer(tmp, sandbox_url) as broker:`` — a provisioned robot provider included."""

    def __init__(self, directory: Path, sandbox_url: str, **overrides: Any) -> None:
        self._socket = bind_socket()
        self.port: int = self._socket.getsockname()[1]
        self.directory = directory
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "broker_port": self.port,
            "sandbox_url": sandbox_url,
            "providers_file": directory / "providers.json",
            "broker_secret": BROKER_SECRET,
            "expiry_sweep_seconds": 0.5,
            "webhook_poll_seconds": 0.1,
        }
        values.update(overrides)
        self.settings = Settings(**values)
        self.credentials = directory / f"robot-{self.port}.json"
        provision_robot(self.settings, self.credentials)
        self.broker: Broker = build_broker(self.settings)
        self.app = create_app(self.broker)
        config = server_config(
            self.app, "127.0.0.1", self.port, limits=edge_limits(self.settings), lifespan="on"
        )
        sockets = [self._socket]
        self.metrics_url: str | None = None
        """With ``metrics_port`` set (0: a free one): the private metrics socket, as ``databrug serve``."""
        if self.settings.metrics_port is not None:
            private = bind_socket()
            sockets.append(private)
            metrics_port = private.getsockname()[1]
            config.app = MetricsPort(self.app, metrics_port, self.broker.metrics.exposition)
            self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        self._sockets = sockets
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": sockets}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def endpoints(self) -> Endpoints:
        return load_endpoints(self.credentials)

    def start(self) -> BrokerServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the broker did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        for sock in self._sockets:
            sock.close()

    def __enter__(self) -> BrokerServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
