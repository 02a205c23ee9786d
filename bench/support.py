"""Processes for the broker benchmarks: the broker, the sandbox, the bare baseline app and Redis, each its own
process (so load generation never shares the server's interpreter), plus what we read of them from /proc.

The server processes get the hard open-file limit as their soft limit (10,000 SSE streams need more than the
usual 1,024 descriptors); so does the bench process itself (``raise_fd_limit``).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.journey import Endpoints
from databrug.robot.setup import load_endpoints

BIN = Path(sys.executable).parent
REDIS_SERVER = "/usr/bin/redis-server"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BENCH_SECRET = "bench-broker-secret"  # a throwaway secret for a loopback broker
# The provider's create-session rate limit is still checked on every request, just never reached.
UNLIMITED = str(10**9)


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (this process and the children it starts); the new limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_bytes(pid: int) -> int:
    """Resident set size from /proc/<pid>/status (VmRSS, in kB there)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS line")


@contextmanager
def pinned(servers: Iterator[int] | list[int], helpers: list[int]) -> Iterator[None]:
    """Servers measured on one CPU, their helpers (Redis, and this process with the load generators it
    starts) on another, for the duration: the servers do not share a core with what serves them or loads
    them, and are not moved between cores. Nothing is pinned on a machine with one CPU."""
    mine = os.sched_getaffinity(0)
    if len(mine) < 2:
        yield
        return
    first, second = sorted(mine)[:2]
    for pid in servers:
        _pin_threads(pid, {first})
    for pid in helpers:
        _pin_threads(pid, {second})
    os.sched_setaffinity(0, {second})
    try:
        yield
    finally:
        os.sched_setaffinity(0, mine)


def _pin_threads(pid: int, cpus: set[int]) -> None:
    for thread in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(thread), cpus)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc/<pid>/stat (all its threads), and of its children: those still
    running (the broker's PDF text workers) and those it has waited for (cutime + cstime)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    own = sum(int(field) for field in fields[11:15]) / CLOCK_TICKS  # fields 14 to 17 of stat(5)
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children += (task / "children").read_text().split()
    running = 0.0
    for child in children:
        with contextlib.suppress(OSError, ValueError):  # it ended meanwhile
            running += cpu_seconds(int(child))
    return own + running


@dataclass
class Server:
    """A running server process and its base URL."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss(self) -> int:
        return rss_bytes(self.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not become healthy")


@contextmanager
def server_process(
    command: list[str], env: Mapping[str, str], health_url: str, base_url: str, log: Path
) -> Iterator[Server]:
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=raise_fd_limit,  # only a setrlimit call before exec
        )
    try:
        _wait_healthy(health_url, process, log)
        yield Server(process, base_url, log)
    finally:
        _stop(process)


@contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="databrug-bench-") as name:
        yield Path(name)


@contextmanager
def baseline_server(directory: Path) -> Iterator[Server]:
    """``bench/baseline_app.py`` (bare JSON and SSE endpoints), served like ``databrug serve``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "bench.baseline_app", "--port", str(port)]
    root = Path(__file__).resolve().parent.parent
    env = {"PYTHONPATH": str(root)}
    with server_process(command, env, f"{url}/json", url, directory / "baseline.log") as server:
        yield server


@contextmanager
def sandbox_server(directory: Path, faults: Mapping[str, object] | None = None) -> Iterator[Server]:
    """``databrug-sandbox serve`` on a free port; its access log (with durations) goes to ``server.log``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"DATABRUG_SANDBOX_FAULTS": json.dumps(faults or {})}
    command = [str(BIN / "databrug-sandbox"), "serve", "--port", str(port), "--log-level", "info"]
    with server_process(command, env, f"{url}/healthz", url, directory / "sandbox.log") as server:
        yield server


@dataclass
class Broker:
    server: Server
    endpoints: Endpoints

    @property
    def url(self) -> str:
        return self.server.url

    def access_token(self) -> str:
        response = httpx.post(
            f"{self.url}/api/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.endpoints.provider_id,
                "client_secret": self.endpoints.client_secret,
            },
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


@contextmanager
def broker_server(
    directory: Path,
    sandbox_url: str,
    store: str = "memory",
    redis_url: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Broker]:
    """``databrug serve`` with the robot provider provisioned (as ``databrug demo`` does)."""
    port = free_port()
    env = {
        "DATABRUG_HOST": "127.0.0.1",
        "DATABRUG_BROKER_PORT": str(port),
        "DATABRUG_SANDBOX_URL": sandbox_url,
        "DATABRUG_PROVIDERS_FILE": str(directory / f"providers-{port}.json"),
        "DATABRUG_BROKER_SECRET": BENCH_SECRET,
        "DATABRUG_SESSIONS_PER_MINUTE": UNLIMITED,
        "DATABRUG_PAIRING_ATTEMPTS_PER_MINUTE": UNLIMITED,
        "DATABRUG_SESSION_STORE": store,
        **(extra_env or {}),
    }
    if redis_url is not None:
        env["DATABRUG_REDIS_URL"] = redis_url
        env["DATABRUG_REDIS_PREFIX"] = f"bench{port}"
    settings = Settings(
        host="127.0.0.1",
        broker_port=port,
        sandbox_url=sandbox_url,
        providers_file=directory / f"providers-{port}.json",
        broker_secret=BENCH_SECRET,
    )
    credentials = directory / f"robot-{port}.json"
    provision_robot(settings, credentials)
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "databrug"), "serve"]
    with server_process(command, env, f"{url}/health", url, directory / f"broker-{port}.log") as server:
        yield Broker(server, load_endpoints(credentials))


@dataclass
class Redis:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@contextmanager
def redis_server(directory: Path) -> Iterator[Redis]:
    if not Path(REDIS_SERVER).exists():
        raise RuntimeError(
            f"{REDIS_SERVER} is missing: apt-get install redis-server (scripts/system-deps.sh)"
        )
    port = free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory), "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    try:
        yield Redis(process, port)
    finally:
        _stop(process)
