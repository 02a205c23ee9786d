"""The Redis test server fails loudly (naming the package) when redis-server is missing; it never skips."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from tests.support import redis_server as support


def test_a_missing_server_fails_with_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(support, "REDIS_SERVER", str(tmp_path / "no-redis-server"))
    with pytest.raises(pytest.fail.Exception) as failed, support.running_redis_server(tmp_path):
        pass
    assert "apt-get install redis-server" in str(failed.value)


def test_the_server_runs_on_loopback_without_persistence(redis_server: support.RedisServer) -> None:
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=2) as conn:
        conn.sendall(b"CONFIG GET save\r\nCONFIG GET appendonly\r\n")
        reply = b""
        while reply.count(b"\r\n") < 10:
            reply += conn.recv(1024)
    assert b"save\r\n$0\r\n\r\n" in reply
    assert b"appendonly\r\n$2\r\nno" in reply
