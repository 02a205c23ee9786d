"""Hostile requests at the edge (issue 13, item 6): the worst request of each class against real processes.

For each, the extra peak RSS of the server process (its high-water mark reset just before, read from /proc
after; the most of the repetitions) and the time from the first byte sent to the refusal as a raw-socket
client sees it (the median); the baseline is a normal small request of the same kind (a form post, a session
created, a page with its cookies, a webhook). Also the largest upload accepted (a document at the 4 MiB cap).
Targets (issue 13): ≤ 64 MiB extra, refused within 2 s, nothing written to disk (noted per figure).

Slow clients are closed at deadlines of the configuration, so the bench runs the broker with 2 s deadlines
(the defaults are 10 s for a head and 60 s for a body) and reports when the server closed the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from tests.support.hostile_http import MIB, Answer, chunked, exchange, repeated, request_head, watching
from tests.support.stepwise_citizen import PhoneCitizen

from bench import Figure, Mode, median
from bench.support import (
    BIN,
    Broker,
    Server,
    broker_server,
    free_port,
    sandbox_server,
    server_process,
    workdir,
)
from databrug.broker.collect import UPLOAD_DOCUMENT_BYTES
from databrug.config import Settings
from databrug.provisioning import provision_provider_demo
from databrug.robot.setup import load_personas
from databrug.sdk import DatabrugClient
from databrug_sandbox.documents.mpo import render_pensioenoverzicht
from databrug_sandbox.personas.catalogue import CATALOGUE

EXTRA_RSS_MIB = 64
REFUSED_WITHIN_MS = 2000
DEADLINE_SECONDS = 2
REPETITIONS: dict[Mode, int] = {"quick": 1, "full": 5}
PERSONA = "single-renter-low-wage"
BOUNDARY = "bench-boundary"
JSON_ACCEPT = {"Accept": "application/json"}

Request = tuple[bytes, Callable[[], Iterable[bytes]]]
"""A request head and a maker of its body (a fresh generator per repetition)."""


def _form(fields: int, size: int) -> Request:
    field = b"t=" + b"x" * (size - 3) + b"&"
    length = str(fields * len(field))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": length, **JSON_ACCEPT}
    return request_head("POST", "/app/pair", headers), lambda: (field for _ in range(fields))


def _json_session(token: str, body: bytes, stream: bool) -> Request:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **JSON_ACCEPT}
    pieces = [body[i : i + 64 * 1024] for i in range(0, len(body), 64 * 1024)]
    if stream:
        head = request_head("POST", "/api/v1/sessions", {**headers, "Transfer-Encoding": "chunked"})
        return head, lambda: chunked(pieces)
    head = request_head("POST", "/api/v1/sessions", {**headers, "Content-Length": str(len(body))})
    return head, lambda: pieces


def _upload(cookies: str, source: str, document: Callable[[], Iterator[bytes]]) -> Request:
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Transfer-Encoding": "chunked"}
    if cookies:
        headers["Cookie"] = cookies
    opening = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="document"; filename="document"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    closing = f"\r\n--{BOUNDARY}--\r\n".encode()
    head = request_head("POST", f"/app/sources/{source}/upload", {**headers, **JSON_ACCEPT})
    return head, lambda: chunked(chain([opening], document(), [closing]))


@dataclass(frozen=True)
class Outcome:
    answer: Answer
    """Of the last repetition."""
    extra_rss_mib: float
    """The most of the repetitions."""
    milliseconds: float
    """The median."""
    written: int
    """The most bytes written to storage in one repetition."""
    temp_files: int

    @property
    def on_disk(self) -> bool:
        return self.written >= MIB or self.temp_files > 0


class Measured:
    def __init__(self, server: Server, temp_dir: Path, mode: Mode) -> None:
        self.server, self.temp_dir, self.mode = server, temp_dir, mode

    def run(self, request: Request) -> Outcome:
        head, body = request
        growths, times, written, files, answer = [], [], 0, 0, None
        for _ in range(REPETITIONS[self.mode]):
            with watching(self.server.pid, self.temp_dir) as watch:
                answer = exchange(int(self.server.url.rsplit(":", 1)[1]), head, body())
            growths.append(max(0, watch.peak_growth) / MIB)
            times.append(answer.seconds * 1000)
            written, files = max(written, watch.written), max(files, len(watch.temp_files))
        assert answer is not None
        # the worst repetition's memory (later ones reuse what the first freed), the median time
        return Outcome(answer, max(growths), median(times), written, files)


def _figures(name: str, hostile: Outcome, normal: Outcome, note: str) -> list[Figure]:
    """Extra peak RSS (its baseline shown, no ratio: a normal request adds next to nothing) and time."""
    answer = hostile.answer
    refused = answer.status is not None and answer.status >= 400
    disk = f"{hostile.written / MIB:.0f} MiB written, {hostile.temp_files} temporary file(s)"
    if not hostile.on_disk:
        disk = "nothing on disk"
    how, baseline = note.split("; ", 1)
    return [
        Figure(
            f"{name}: extra peak RSS",
            hostile.extra_rss_mib,
            "MiB",
            baseline=normal.extra_rss_mib,
            target=f"≤{EXTRA_RSS_MIB} MiB, no disk",
            ok=hostile.extra_rss_mib <= EXTRA_RSS_MIB and not hostile.on_disk,
            note=f"{answer.status}{f' {answer.code}' if answer.code else ''}, {how}; {disk}; {baseline}",
        ),
        Figure.against(
            f"{name}: time to refusal",
            hostile.milliseconds,
            "ms",
            baseline=normal.milliseconds,
            target=f"≤{REFUSED_WITHIN_MS} ms",
            ok=refused and hostile.milliseconds <= REFUSED_WITHIN_MS,
            note=f"{answer.sent / MIB:.1f} MiB sent before the answer; {baseline}",
        ),
    ]


async def _logged_in_phone(broker: Broker, sandbox_url: str) -> tuple[PhoneCitizen, str]:
    with DatabrugClient(broker.url, broker.endpoints.provider_id, broker.endpoints.client_secret) as provider:
        created = provider.create_session(reference="bench-hostile")
    phone = PhoneCitizen(broker.endpoints)
    await phone.open(created.citizen_url)
    await phone.login(load_personas(sandbox_url)[PERSONA].applicant)
    cookies = "; ".join(f"{c.name}={c.value}" for c in phone.browser.http.cookies.jar)
    return phone, cookies


def _broker_figures(broker: Broker, sandbox_url: str, temp_dir: Path, mode: Mode) -> list[Figure]:
    measured = Measured(broker.server, temp_dir, mode)
    token = broker.access_token()
    figures = _figures(
        "form flood POST /app/pair (400 fields x 1 MB)",
        measured.run(_form(400, MIB)),
        measured.run(_form(1, 40)),
        "before reading it; baseline: one short field",
    )
    huge_header = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Flood: "
    cookies = "; ".join(f"c{n}={'v' * 900}" for n in range(8))
    figures += _figures(
        "header flood (20 MB header)",
        measured.run((huge_header, lambda: chain(repeated(20 * MIB, b"a" * (256 * 1024)), [b"\r\n\r\n"]))),
        measured.run((request_head("GET", "/health", {"Cookie": cookies}), lambda: [])),
        "as it arrives; baseline: GET /health with 7 KiB of cookies",
    )
    array = b"[" + b'"uwv",' * (10 * MIB // 6) + b'"uwv"]'
    figures += _figures(
        "JSON flood POST /api/v1/sessions (10 MB, chunked)",
        measured.run(_json_session(token, array, stream=True)),
        measured.run(_json_session(token, json.dumps({"reference": "bench"}).encode(), stream=False)),
        "as it streams; baseline: a session created",
    )
    figures += _figures(
        "upload without credentials (300 MB, chunked)",
        measured.run(_upload("", "uwv", lambda: repeated(300 * MIB, b"%PDF" * (16 * 1024)))),
        measured.run(_upload("", "uwv", lambda: iter([b"%PDF-1.7"]))),
        "before its body; baseline: a small upload without credentials",
    )
    loop = asyncio.new_event_loop()  # the phone's client lives on one loop, from its login to its close
    phone, cookies = loop.run_until_complete(_logged_in_phone(broker, sandbox_url))
    document = render_pensioenoverzicht(CATALOGUE[PERSONA].applicant, "xml")
    try:
        figures += _figures(
            "authenticated upload over the cap (50 MB, chunked)",
            measured.run(_upload(cookies, "mijnpensioenoverzicht", lambda: repeated(50 * MIB))),
            measured.run(_upload(cookies, "mijnpensioenoverzicht", lambda: iter([document]))),
            f"past 4 MiB; baseline: the citizen's pensioenoverzicht ({len(document) // 1024} KiB)",
        )
        padded = document + b"\n" + b" " * (UPLOAD_DOCUMENT_BYTES - len(document) - 1)
        normal = measured.run(_upload(cookies, "mijnpensioenoverzicht", lambda: iter([document])))
        at_cap = measured.run(_upload(cookies, "mijnpensioenoverzicht", lambda: iter([padded])))
        figures.append(
            Figure(
                "authenticated upload at the cap (4 MiB, accepted): extra peak RSS",
                at_cap.extra_rss_mib,
                "MiB",
                baseline=normal.extra_rss_mib,
                target=f"≤{EXTRA_RSS_MIB} MiB, no disk",
                ok=at_cap.answer.status == 303
                and at_cap.extra_rss_mib <= EXTRA_RSS_MIB
                and not at_cap.on_disk,
                note=f"{at_cap.answer.status}, read, parsed and sealed in {at_cap.milliseconds:.0f} ms; the "
                "pensioenoverzicht padded with spaces; baseline: the same unpadded "
                f"({len(document) // 1024} KiB)",
            )
        )
    finally:
        loop.run_until_complete(phone.close())
        loop.close()
    figures.append(_slow_client(broker.server))
    return figures


def _slow_client(server: Server) -> Figure:
    """A head that never ends (a header line a second): when the broker answers 408 and closes."""
    port = int(server.url.rsplit(":", 1)[1])
    stop = threading.Event()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        started = time.monotonic()

        def send_lines() -> None:
            with contextlib.suppress(OSError):
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                for n in itertools.count():
                    if stop.wait(1.0):
                        return
                    sock.sendall(b"X-Slow-%d: 1\r\n" % n)

        sender = threading.Thread(target=send_lines, daemon=True)
        sender.start()
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
        seconds = time.monotonic() - started
        stop.set()
        sender.join()
    timed_out = answer.startswith(b"HTTP/1.1 408")
    return Figure(
        "slow head (a header line a second): closed after",
        seconds,
        "s",
        target=f"≤{DEADLINE_SECONDS + 1} s",
        ok=timed_out and seconds <= DEADLINE_SECONDS + 1,
        note=f"{'408 request_timeout' if timed_out else 'no 408'}; head deadline {DEADLINE_SECONDS} s here "
        "(default 10 s)",
    )


def _provider_figures(directory: Path, mode: Mode) -> list[Figure]:
    port = free_port()
    credentials = directory / "gezondverzekerd.json"
    provision_provider_demo(
        Settings(host="127.0.0.1", provider_port=port, providers_file=directory / "provider-registry.json"),
        credentials,
    )
    url = f"http://127.0.0.1:{port}"
    database = f"sqlite:///{directory / 'provider.db'}"
    command = [str(BIN / "databrug"), "provider-demo", "--host", "127.0.0.1", "--port", str(port),
               "--credentials", str(credentials), "--database-url", database]  # fmt: skip
    temp_dir = directory / "provider-tmp"
    temp_dir.mkdir()
    env = {"TMPDIR": str(temp_dir)}
    with server_process(command, env, f"{url}/health", url, directory / "provider.log") as server:
        measured = Measured(server, temp_dir, mode)
        json_body = {"Content-Type": "application/json"}
        head = request_head("POST", "/webhooks/databrug", {**json_body, "Transfer-Encoding": "chunked"})
        small = request_head("POST", "/webhooks/databrug", {**json_body, "Content-Length": "2"})
        return _figures(
            "webhook receiver (300 MB, chunked)",
            measured.run((head, lambda: chunked(repeated(300 * MIB, b"{" * (64 * 1024))))),
            measured.run((small, lambda: [b"{}"])),
            "as it streams; baseline: a small unsigned webhook (refused by its signature check)",
        )


def run(mode: Mode) -> list[Figure]:
    with workdir() as directory, ExitStack() as stack:
        temp_dir = directory / "broker-tmp"
        temp_dir.mkdir()
        sandbox = stack.enter_context(sandbox_server(directory))
        env = {
            "TMPDIR": str(temp_dir),
            "DATABRUG_REQUEST_HEAD_SECONDS": str(DEADLINE_SECONDS),
            "DATABRUG_REQUEST_BODY_SECONDS": str(DEADLINE_SECONDS),
        }
        broker = stack.enter_context(broker_server(directory, sandbox.url, extra_env=env))
        return _broker_figures(broker, sandbox.url, temp_dir, mode) + _provider_figures(directory, mode)
