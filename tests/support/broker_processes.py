"""Broker processes for real: ``databrug serve`` subprocesses sharing one Redis, for scale-out tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.broker_server import bind_socket

DATABRUG = str(Path(sys.executable).with_name("databrug"))


def free_port() -> int:
    sock = bind_socket()
    port: int = sock.getsockname()[1]
    sock.close()
    return port


SHARED_SECRET = "shared-between-processes"


def shared_redis_env(
    redis_url: str, prefix: str, providers_file: Path, sandbox_url: str, **more: str
) -> dict[str, str]:
    """The settings of broker processes that serve one set of sessions: one Redis (under ``prefix``), one
    broker secret, one providers file, one sandbox; ``more`` adds DATABRUG_<NAME> settings."""
    return {
        "DATABRUG_SESSION_STORE": "redis",
        "DATABRUG_REDIS_URL": redis_url,
        "DATABRUG_REDIS_PREFIX": prefix,
        "DATABRUG_BROKER_SECRET": SHARED_SECRET,
        "DATABRUG_PROVIDERS_FILE": str(providers_file),
        "DATABRUG_SANDBOX_URL": sandbox_url,
        **{f"DATABRUG_{name.upper()}": value for name, value in more.items()},
    }


def broker_env(env: dict[str, str], port: int) -> dict[str, str]:
    return {**os.environ, **env, "DATABRUG_BROKER_PORT": str(port)}


@contextmanager
def broker_process(
    env: dict[str, str], port: int, log: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [DATABRUG, "serve"], env=broker_env(env, port), stdout=sink, stderr=subprocess.STDOUT, cwd=cwd
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"broker process exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=3.0).status_code == 200:  # serving, and reaching its store
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("broker process did not become healthy")
