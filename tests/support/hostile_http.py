"""Hostile HTTP clients for the edge tests and the bench, and what the server process did meanwhile.

``exchange`` talks HTTP/1.1 over a raw socket, so a test sees what the server answered and when, also when
the server stops reading halfway through a body (it answers, closes, and the client's next write fails).
Bodies come from generators: a 300 MB upload is never built in memory. ``watching`` reads the server
process from /proc: its peak RSS over the request (the high-water mark is reset first), the bytes it wrote to
storage and every file it held open in the temporary directory (Python's temporary files are unlinked at
once, so only the open descriptors show them).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int | None
    """None: the server closed the connection without an answer."""
    headers: dict[str, str]
    body: bytes
    seconds: float
    """From the first byte sent to the end of the answer (or of the connection)."""
    sent: int
    """Body bytes the client got to write before the server answered or closed."""

    @property
    def code(self) -> str | None:
        """The error catalogue's code of a JSON error answer."""
        try:
            found: Any = json.loads(self.body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None
        return found if isinstance(found, str) else None


def repeated(total: int, piece: bytes = b"x" * (64 * 1024)) -> Iterator[bytes]:
    """``total`` bytes in pieces, made as they are sent."""
    while total > 0:
        yield piece[:total]
        total -= len(piece)


def chunked(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The pieces in HTTP/1.1 chunked transfer coding, with the closing chunk."""
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def request_head(method: str, path: str, headers: dict[str, str] | None = None) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def exchange(port: int, head: bytes, body: Iterable[bytes] = (), *, timeout: float = 30.0) -> Answer:
    """Send ``head`` then ``body`` piece by piece, stopping as soon as the server answers or closes; then
    read the answer."""
    started = time.monotonic()
    sent = -len(head)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for piece in itertools.chain([head], body):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(piece)
            except OSError:  # reset or timed out: the server stopped reading
                break
            sent += len(piece)
        received = _receive(sock, started + timeout)
    status, headers, content = _parse(received)
    return Answer(status, headers, content, time.monotonic() - started, max(sent, 0))


def _receive(sock: socket.socket, deadline: float) -> bytes:
    data = bytearray()
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            got = sock.recv(65536)
        except OSError:  # reset after the answer, or the deadline
            break
        if not got:
            break
        data.extend(got)
        if _complete(data):
            break
    return bytes(data)


def _complete(data: bytearray) -> bool:
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    _, headers, _ = _parse(bytes(data[: end + 4]))
    length = headers.get("content-length")
    return length is not None and len(data) - end - 4 >= int(length)


def _parse(data: bytes) -> tuple[int | None, dict[str, str], bytes]:
    head, separator, content = data.partition(b"\r\n\r\n")
    if not separator:
        return None, {}, b""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, content


# -- the server process, from /proc


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} for process {pid}")


def rss(pid: int) -> int:
    return _status_kib(pid, "VmRSS") * 1024


def peak_rss(pid: int) -> int:
    return _status_kib(pid, "VmHWM") * 1024


def reset_peak_rss(pid: int) -> None:
    """The high-water mark back to the current RSS (Linux ≥ 4.0, ``clear_refs`` value 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def written_bytes(pid: int) -> int:
    """Bytes the process caused to be written to storage (``write_bytes`` of /proc/<pid>/io)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise RuntimeError(f"no write_bytes for process {pid}")


def open_files_in(pid: int, directory: Path) -> set[str]:
    found = set()
    prefix = str(directory)
    with contextlib.suppress(FileNotFoundError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith(prefix):
                    found.add(target)
    return found


@dataclass
class Watch:
    pid: int
    temp_dir: Path
    rss_before: int = 0
    written_before: int = 0
    peak_growth: int = 0
    """Peak RSS during the watch above the RSS before it, in bytes."""
    written: int = 0
    temp_files: set[str] = field(default_factory=set)
    """Files the process held open in ``temp_dir``, and those left there."""


@contextlib.contextmanager
def watching(pid: int, temp_dir: Path, every: float = 0.005) -> Iterator[Watch]:
    watch = Watch(pid, temp_dir)
    reset_peak_rss(pid)
    watch.rss_before = rss(pid)
    watch.written_before = written_bytes(pid)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            watch.temp_files |= open_files_in(pid, temp_dir)
            stop.wait(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield watch
    finally:
        stop.set()
        sampler.join()
        watch.peak_growth = peak_rss(pid) - watch.rss_before
        watch.written = written_bytes(pid) - watch.written_before
        watch.temp_files |= open_files_in(pid, temp_dir) | {str(p) for p in temp_dir.iterdir()}
