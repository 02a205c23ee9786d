"""``databrug-sandbox serve`` runs the sandbox on its own and prints its URLs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_prints_its_urls_and_answers() -> None:
    port = free_port()
    env = {**os.environ, "DATABRUG_SANDBOX_FAULTS": '{"uwv": {"maintenance": true}}'}
    command = [sys.executable, "-m", "databrug_sandbox.cli", "serve", "--port", str(port)]
    command += ["--log-level", "warning"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "API docs" in line:
                break
        printed = "".join(lines)
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/digid/.well-known/openid-configuration" in printed
        assert f"{base}/digid/sms" in printed
        assert f"{base}/admin/faults" in printed
        deadline = time.monotonic() + 15
        while True:
            try:
                discovery = httpx.get(f"{base}/digid/.well-known/openid-configuration")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sandbox did not start listening"
                time.sleep(0.1)
        assert discovery.json()["issuer"] == f"{base}/digid"
        # Faults from the environment are in force from the start.
        assert httpx.get(f"{base}/admin/faults/uwv").json()["maintenance"] is True
    finally:
        process.terminate()
        process.wait(timeout=10)
