"""The whole world for provider tests: sandbox, broker, mail catcher and the provider app, each a real
server on a free loopback port; the provider registered at the broker exactly as the demo does it."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

import uvicorn
from aiosmtpd.controller import Controller
from starlette.types import ASGIApp

from databrug.config import Settings
from databrug.provider_demo.broker_link import BrokerLink
from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.services import ProviderServices, build_services
from databrug.provider_demo.web.app import create_provider_app
from databrug.provisioning import provision_provider_demo
from databrug.sdk import generate_provider_keys
from databrug.web.metrics import MetricsPort
from databrug_sandbox.mail.smtp import smtp_controller
from databrug_sandbox.mail.store import MailStore
from tests.support.broker_server import BROKER_SECRET, BrokerServer, bind_socket


def offline_broker_link(webhook_secret: str) -> BrokerLink:
    """The demo provider's link to a broker it never reaches (port 9, discard), to test its own routes."""
    return BrokerLink(
        "http://127.0.0.1:9",
        "gezondverzekerd",
        "dbs_unused",
        (webhook_secret,),
        generate_provider_keys().private_jwks,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ProviderStack:
    broker: BrokerServer
    services: ProviderServices
    mails: MailStore
    url: str
    metrics_url: str | None = None
    """The demo provider's private metrics socket (``RunningProvider(metrics=True)``)."""


class RunningProvider:
    """``with RunningProvider(tmp, sandbox_url, database_url) as stack:``"""

    def __init__(
        self, directory: Path, sandbox_url: str, database_url: str, *, metrics: bool = False
    ) -> None:
        self.directory = directory
        self._socket = bind_socket()
        port: int = self._socket.getsockname()[1]
        provision_provider_demo(
            Settings(
                host="127.0.0.1",
                provider_port=port,
                providers_file=directory / "providers.json",
                broker_secret=BROKER_SECRET,
            ),
            directory / "gezondverzekerd.json",
        )
        self.broker = BrokerServer(directory, sandbox_url, **({"metrics_port": 0} if metrics else {}))
        link = replace(BrokerLink.load(directory / "gezondverzekerd.json"), broker_url=self.broker.url)
        self.mails = MailStore()
        smtp_port = _free_port()
        self._smtp: Controller = smtp_controller(self.mails, "127.0.0.1", smtp_port)
        settings = ProviderSettings(
            port=port, database_url=database_url, smtp_port=smtp_port, seed_demo_caseworker=True
        )
        self.services = build_services(settings, link=link)
        app = create_provider_app(self.services)
        served: ASGIApp = app
        self._sockets = [self._socket]
        self.metrics_url: str | None = None
        if metrics:  # as ``databrug provider-demo --metrics-port``
            private = bind_socket()
            self._sockets.append(private)
            served = MetricsPort(app, private.getsockname()[1], app.state.metrics.exposition)
            self.metrics_url = f"http://127.0.0.1:{private.getsockname()[1]}/metrics"
        self._server = uvicorn.Server(uvicorn.Config(served, log_level="warning", access_log=False))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": self._sockets}, daemon=True
        )
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> ProviderStack:
        self._smtp.start()
        self.broker.start()
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the provider app did not start")
            time.sleep(0.01)
        return ProviderStack(self.broker, self.services, self.mails, self.url, self.metrics_url)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        for sock in self._sockets:
            sock.close()
        self.broker.stop()
        self._smtp.stop()
        self.services.db.dispose()
