"""A ``redis-server`` that a test can stop and start again on the same port (a restart, a crash, an outage),
or stall (SIGSTOP: it keeps its port and accepts connections, and answers nothing until SIGCONT).

Without persistence a restart loses every key; with ``append_only`` Redis runs with the recipe's persistence
(``redis_server.persistence_args``: every write fsynced to an AOF in the test's directory before Redis answers
it), so a restart keeps every write it answered, after a crash (SIGKILL) as after a clean shutdown.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tests.support.redis_server import REDIS_SERVER, _answers_ping, _free_port, persistence_args


class RestartableRedis:
    def __init__(self, directory: Path, append_only: bool = False) -> None:
        self.directory = directory
        self.append_only = append_only
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = persistence_args() if self.append_only else []
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                *persistence,
                "--dir", str(self.directory),
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _answers_ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self, graceful: bool = False) -> None:
        """Kill the server (SIGKILL: a crash), or shut it down cleanly (SIGTERM: it writes what it keeps)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a stalled server would not act on SIGTERM
        self.process.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
        self.process.wait(timeout=10)

    def stall(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, number: signal.Signals) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("redis-server is not running")
        self.process.send_signal(number)

    def __enter__(self) -> RestartableRedis:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
