"""`databrug demo`: start the whole product on embedded defaults, each part as its own process.

The sandbox is started as a separate program (``databrug-sandbox serve``) and reached over HTTP only, so the
product never imports it. Later parts (broker, provider demo) are added to ``demo_services``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from databrug.config import Settings
from databrug.provisioning import demo_broker_secret, provision_provider_demo, provision_robot

ROBOT_CREDENTIALS = Path("var/demo/robot-provider.json")
PROVIDER_CREDENTIALS = Path("var/demo/gezondverzekerd.json")
BROKER_SECRET_FILE = Path("var/demo/broker-secret")
DEMO_LOGIN = ("medewerker", "Gemeentepolis-2026")  # seeded by provider-demo --seed-demo-caseworker


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    health_url: str
    start_url: str


def _program(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"databrug demo: the program '{name}' is not installed; run 'make demo'")
    return found


def demo_services(settings: Settings) -> list[Service]:
    sandbox_url = settings.sandbox_base()
    broker_url = settings.broker_url()
    return [
        Service(
            name="sandbox (DigiD IdP, portals)",
            command=[
                _program("databrug-sandbox"),
                "serve",
                "--host",
                settings.host,
                "--port",
                str(settings.sandbox_port),
            ],
            health_url=f"{sandbox_url}/healthz",
            start_url=f"{sandbox_url}/admin/personas",
        ),
        Service(
            name="broker (provider API, citizen app)",
            command=[_program("databrug"), "serve", "--port", str(settings.broker_port)],
            health_url=f"{broker_url}/health",
            start_url=f"{broker_url}/app/",
        ),
        Service(
            name="mail catcher (SMTP + inbox)",
            command=[
                _program("databrug-sandbox"),
                "mail",
                "--host",
                settings.host,
                "--smtp-port",
                str(settings.mail_port),
                "--port",
                str(settings.mail_port + 1),
            ],
            health_url=f"http://{settings.host}:{settings.mail_port + 1}/healthz",
            start_url=f"http://{settings.host}:{settings.mail_port + 1}/",
        ),
        Service(
            name="provider demo (Gezondverzekerd)",
            command=[
                _program("databrug"),
                "provider-demo",
                "--host",
                settings.host,
                "--port",
                str(settings.provider_port),
                "--database-url",
                settings.provider_database_url,
                "--credentials",
                str(PROVIDER_CREDENTIALS),
                "--smtp-host",
                settings.host,
                "--smtp-port",
                str(settings.mail_port),
                "--seed-demo-caseworker",
                "--metrics-port",
                str(settings.provider_port + 1),
            ],
            health_url=f"http://{settings.host}:{settings.provider_port}/health",
            start_url=f"http://{settings.host}:{settings.provider_port}/",
        ),
    ]


def demo_metrics_port(settings: Settings) -> int:
    """The broker's private metrics port in the demo: the one set, else the broker's port + 1."""
    return settings.metrics_port if settings.metrics_port is not None else settings.broker_port + 1


def wait_until_healthy(service: Service, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"databrug demo: {service.name} stopped while starting (exit {process.returncode})"
            )
        try:
            if httpx.get(service.health_url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"databrug demo: {service.name} did not become healthy within {timeout:.0f} s")


def ports_in_use(settings: Settings) -> list[int]:
    """The demo's ports something else listens on already (our health checks would reach that instead)."""
    ports = [
        settings.sandbox_port,
        settings.broker_port,
        settings.mail_port,
        settings.mail_port + 1,
        settings.provider_port,
        demo_metrics_port(settings),
        settings.provider_port + 1,
    ]
    taken = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex((settings.host, port)) == 0:
                taken.append(port)
    return taken


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run_demo(settings: Settings, *, once: bool = False) -> int:
    """Start every service, print where the journey starts, run until interrupted (``once``: return)."""
    taken = ports_in_use(settings)
    if taken:
        raise SystemExit(
            f"databrug demo: port(s) {', '.join(map(str, taken))} on {settings.host} are already in use "
            "(another demo?). Stop it, or choose others with DATABRUG_SANDBOX_PORT, DATABRUG_BROKER_PORT, "
            "DATABRUG_MAIL_PORT, DATABRUG_PROVIDER_PORT."
        )
    processes: list[subprocess.Popen[bytes]] = []
    # SIGTERM (e.g. from a process manager, or a shell that ignores SIGINT for background jobs) must also stop
    # the children: turn it into an exit that runs the `finally` below, at any moment, even while starting.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    # The broker keeps webhook secrets encrypted under its secret: the demo's processes share one.
    settings = demo_broker_secret(settings, BROKER_SECRET_FILE)
    environment = {
        **os.environ,
        "DATABRUG_BROKER_SECRET": settings.broker_secret or "",
        # the broker's metrics on loopback beside it (docs/deployment.md, "Metrics")
        "DATABRUG_METRICS_PORT": str(demo_metrics_port(settings)),
    }
    provision_robot(settings, ROBOT_CREDENTIALS)
    provision_provider_demo(settings, PROVIDER_CREDENTIALS)
    try:
        for service in demo_services(settings):
            process = subprocess.Popen(service.command, env=environment)  # noqa: S603
            processes.append(process)
            wait_until_healthy(service, process)
            print(f"  {service.name:<32} {service.start_url}", flush=True)
        print(
            f"  {'metrics (Prometheus)':<32} http://{settings.metrics_host}:{demo_metrics_port(settings)}/metrics"
        )
        print(f"  {'robot journeys':<32} databrug journey --all   (credentials in {ROBOT_CREDENTIALS})")
        print(f"  {'provider back office':<32} /backoffice  login {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}")
        print(f"\nStart the journey here: http://{settings.host}:{settings.provider_port}/", flush=True)
        print("Databrug demo is running. Stop it with Ctrl-C.", flush=True)
        if once:
            return 0
        while True:
            signal.pause()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
