"""A real ``redis-server`` for tests: free loopback port, no persistence, temp dir, killed at the end.

Never skips: a missing server is a failed test run with the package to install.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REDIS_SERVER = "/usr/bin/redis-server"
PACKAGE_HINT = "install the Debian package 'redis-server' (apt-get install redis-server)"
_START_ATTEMPTS = 5

REDIS_FSYNC = "always"
"""How the recipe (docs/deployment.md, "Redis persistence") has Redis keep its writes: an append-only file,
fsynced before Redis answers a write, so what the citizen was told is sent survives a crash of Redis or of its
host. ``everysec`` survives a crash of Redis alone, and loses up to about two seconds on a host crash."""


def persistence_args(fsync: str = REDIS_FSYNC) -> list[str]:
    """``redis-server`` arguments for the recipe's persistence (the scale-out script and the fault tests)."""
    if fsync not in ("always", "everysec"):
        raise ValueError("appendfsync is always or everysec")
    return ["--appendonly", "yes", "--appendfsync", fsync]


@dataclass(frozen=True)
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _start(directory: Path) -> RedisServer:
    port = _free_port()
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port", str(port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(directory),
            "--protected-mode", "yes",
            "--loglevel", "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break  # exited: most likely the port was taken meanwhile; the caller tries another
        if _answers_ping(port):
            return RedisServer(port=port, process=process)
        time.sleep(0.02)
    _stop(process)
    raise RuntimeError(f"redis-server did not start on port {port}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
    if process.stderr is not None:
        process.stderr.close()


@contextmanager
def running_redis_server(directory: Path) -> Iterator[RedisServer]:
    if not Path(REDIS_SERVER).exists():
        pytest.fail(
            f"{REDIS_SERVER} is missing: {PACKAGE_HINT}; the Redis contract tests need a real server",
            pytrace=False,
        )
    error: Exception | None = None
    for _ in range(_START_ATTEMPTS):
        try:
            server = _start(directory)
            break
        except RuntimeError as exc:
            error = exc
    else:
        pytest.fail(f"could not start redis-server: {error}", pytrace=False)
    try:
        yield server
    finally:
        _stop(server.process)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One server for the whole test session; tests isolate themselves by key prefix."""
    with running_redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server
