"""A broker process stopped with SIGTERM drains: an open event stream is told to reconnect and ends, a request
still in flight has ``DATABRUG_DRAIN_SECONDS`` and no longer, and the process exits 0 within that bound."""

from __future__ import annotations

import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from tests.support.broker_processes import broker_process, free_port
from tests.support.provider_api import access_token

from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.setup import load_endpoints

DRAIN_SECONDS = 3


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    url = f"http://127.0.0.1:{port}"
    settings = Settings(public_url=url, providers_file=tmp_path / "providers.json")
    provision_robot(settings, tmp_path / "robot.json")
    return {
        "DATABRUG_SESSION_STORE": "memory",
        "DATABRUG_BROKER_SECRET": "drain-test",
        "DATABRUG_PROVIDERS_FILE": str(tmp_path / "providers.json"),
        "DATABRUG_PUBLIC_URL": url,
        "DATABRUG_DRAIN_SECONDS": str(DRAIN_SECONDS),
    }


class _Stream:
    """An event stream read in a thread: what arrived, and whether it ended cleanly (no transport error)."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.text = ""
        self.ended_cleanly = False
        self.ended_at = 0.0
        self.opened = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self._thread.start()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(5, read=60)) as answer:
                assert answer.status_code == 200
                for chunk in answer.iter_text():
                    self.text += chunk
                    self.opened.set()
            self.ended_cleanly = True
        except httpx.HTTPError:
            pass
        finally:
            self.ended_at = time.monotonic()
            self.opened.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


def test_sigterm_ends_streams_with_a_reconnect_and_exits_0_within_the_bound(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    endpoints = load_endpoints(tmp_path / "robot.json")
    with broker_process(env, port, tmp_path / "broker.log") as process:
        headers = {"Authorization": f"Bearer {access_token(endpoints)}"}
        created = httpx.post(f"{url}/api/v1/sessions", json={"reference": "drain-check"}, headers=headers)
        assert created.status_code == 201, created.text
        stream = _Stream(
            f"{url}/api/v1/sessions/{created.json()['id']}/events",
            {**headers, "Accept": "text/event-stream", "Last-Event-ID": "0"},
        )
        assert stream.opened.wait(10)
        assert "retry: 2000" in stream.text
        # A request in flight that never completes: its body trickles (the body deadline is 60 s).
        trickle = socket.create_connection(("127.0.0.1", port), timeout=10)
        trickle.sendall(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {headers['Authorization']}\r\n".encode()
            + b"Content-Length: 1000\r\n\r\n{"
        )
        time.sleep(0.3)

        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        stream.join(timeout=10)
        returncode = process.wait(timeout=DRAIN_SECONDS + 10)
        exited = time.monotonic() - signalled
        trickle.close()

    assert returncode == 0
    # The stream ended at once, not after the bound, and told the client to come back soon.
    assert stream.ended_cleanly
    assert stream.ended_at - signalled < 2.0
    assert stream.text.endswith("retry: 500\n\n")
    assert "event: reconnect" not in stream.text  # the provider API's stream has no non-session events
    # The unfinished request held the exit up to the bound, and no longer.
    assert DRAIN_SECONDS - 0.5 < exited < DRAIN_SECONDS + 5
    log = (tmp_path / "broker.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log


def test_sigterm_with_nothing_in_flight_exits_0_at_once(tmp_path: Path) -> None:
    port = free_port()
    with broker_process(_env(tmp_path, port), port, tmp_path / "broker.log") as process:
        assert httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=DRAIN_SECONDS + 10)
        exited = time.monotonic() - signalled
    assert returncode == 0  # not "killed by SIGTERM" (-15): uvicorn raises the signal again after draining
    assert exited < 2.5


def _answer(connection: socket.socket) -> bytes:
    """One whole answer with a Content-Length body (the head is lower-cased for matching)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, "the broker closed the connection instead of answering"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.lower().split(b"\r\n") if line.startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head.lower()


def test_an_idle_keep_alive_connection_is_not_cut_under_a_request_being_sent(tmp_path: Path) -> None:
    """A balancer may be writing its next request on an idle connection as the drain begins: the broker does
    not close it under that request (nginx would not send a POST elsewhere), it answers it, with
    ``Connection: close``, and closes after."""
    port = free_port()
    with broker_process(_env(tmp_path, port), port, tmp_path / "broker.log") as process:
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"connection: close" not in _answer(idle)  # kept alive

        process.send_signal(signal.SIGTERM)
        time.sleep(1.0)  # the drain has begun: the listener is closed
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        assert process.poll() is None  # still there for the idle connection (its keep-alive is 5 s)
        idle.sendall(b"POST /api/v1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        head = _answer(idle)
        assert head.startswith(b"http/1.1 4")  # answered (no credentials), not dropped
        assert b"connection: close" in head
        assert idle.recv(1) == b""  # then closed
        idle.close()
        returncode = process.wait(timeout=DRAIN_SECONDS + 10)
    assert returncode == 0
