"""Requests bounded at the edge (issue 13): bodies, forms, headers, uploads, slow and idle connections.

Each hostile request goes to a real ``databrug serve`` process (so its RSS and its writes are read from /proc)
and asserts the answer and its catalogue code, the time to the refusal, the broker's extra peak RSS (≤ 64 MiB)
and that nothing was written to disk: no file opened in its TMPDIR (an empty folder of its own), no bytes
written to storage. Big bodies are generated while they are sent. The server deadlines are shortened here
(the code path is the one of production; their defaults are checked apart).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import httpx
import pytest
from tests.support.broker_processes import DATABRUG, broker_process, free_port
from tests.support.hostile_http import MIB, Answer, Watch, chunked, exchange, repeated, request_head, watching
from tests.support.stepwise_citizen import PhoneCitizen

from databrug.broker.collect import UPLOAD_DOCUMENT_BYTES
from databrug.cli import edge_limits
from databrug.config import Settings
from databrug.provider_demo.web.webhook import MAX_WEBHOOK_BYTES
from databrug.provisioning import provision_provider_demo, provision_robot
from databrug.robot.journey import Endpoints, Persona
from databrug.robot.setup import load_endpoints
from databrug.sdk import AsyncDatabrugClient
from databrug.web.phone import UPLOAD_BODY_BYTES
from databrug.web.request_limits import DEFAULT_BODY_BYTES
from databrug.web.server import EdgeLimits
from databrug_sandbox.documents.mpo import render_pensioenoverzicht
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.server import SandboxServer

HEAD_SECONDS = 3.0
BODY_SECONDS = 3.0
IDLE_SECONDS = 2
EXTRA_RSS = 64 * MIB
REFUSED_WITHIN = 2.0  # seconds, on a loaded 2-core machine; a refusal takes milliseconds
PERSONA = "single-renter-low-wage"
JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class Broker:
    pid: int
    port: int
    temp_dir: Path
    endpoints: Endpoints


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    directory = tmp_path_factory.mktemp("edge")
    temp_dir = directory / "tmp"
    temp_dir.mkdir()
    port = free_port()
    settings = Settings(
        host="127.0.0.1",
        broker_port=port,
        sandbox_url=sandbox.base_url,
        providers_file=directory / "providers.json",
        broker_secret="edge-test-broker-secret",
    )
    provision_robot(settings, directory / "robot.json")
    env = {
        "DATABRUG_HOST": "127.0.0.1",
        "DATABRUG_SANDBOX_URL": sandbox.base_url,
        "DATABRUG_PROVIDERS_FILE": str(settings.providers_file),
        "DATABRUG_BROKER_SECRET": "edge-test-broker-secret",
        "DATABRUG_REQUEST_HEAD_SECONDS": str(HEAD_SECONDS),
        "DATABRUG_REQUEST_BODY_SECONDS": str(BODY_SECONDS),
        "DATABRUG_KEEP_ALIVE_SECONDS": str(IDLE_SECONDS),
        "TMPDIR": str(temp_dir),
    }
    with broker_process(env, port, directory / "broker.log", cwd=directory) as process:
        yield Broker(process.pid, port, temp_dir, load_endpoints(directory / "robot.json"))
    log = (directory / "broker.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def assert_bounded(watch: Watch, answer: Answer) -> None:
    assert answer.seconds < REFUSED_WITHIN, answer
    assert watch.peak_growth < EXTRA_RSS, f"peak RSS +{watch.peak_growth / MIB:.0f} MiB"
    assert watch.temp_files == set(), watch.temp_files
    assert watch.written < MIB, f"{watch.written} bytes written to storage"


def test_the_bounds_are_those_of_the_design() -> None:
    limits, settings = EdgeLimits(), Settings()
    assert (limits.max_head_bytes, limits.max_url_bytes, limits.max_header_count) == (32_768, 8_192, 100)
    assert (settings.request_head_seconds, settings.request_body_seconds) == (10.0, 60.0)
    assert settings.keep_alive_seconds == 5
    assert edge_limits(settings) == limits
    assert DEFAULT_BODY_BYTES == 64 * 1024
    assert UPLOAD_DOCUMENT_BYTES <= 4 * MIB
    assert UPLOAD_BODY_BYTES - UPLOAD_DOCUMENT_BYTES <= 64 * 1024


# -- bodies and forms


def test_a_form_flood_to_pair_is_refused_before_it_is_read(broker: Broker) -> None:
    """400 fields of 1 MB each: declared (Content-Length) and chunked."""
    field = b"t=" + b"x" * (MIB - 3) + b"&"
    form = {"Content-Type": "application/x-www-form-urlencoded", **JSON}
    declared = request_head("POST", "/app/pair", {**form, "Content-Length": str(400 * len(field))})
    with watching(broker.pid, broker.temp_dir) as watch:
        answer = exchange(broker.port, declared, (field for _ in range(400)))
    assert (answer.status, answer.code) == (413, "payload_too_large"), answer
    assert answer.sent < 64 * MIB  # what the socket buffers took before the refusal
    assert_bounded(watch, answer)

    flowing = request_head("POST", "/app/pair", {**form, "Transfer-Encoding": "chunked"})
    with watching(broker.pid, broker.temp_dir) as watch:
        answer = exchange(broker.port, flowing, chunked(field for _ in range(400)))
    assert (answer.status, answer.code) == (413, "payload_too_large"), answer
    assert answer.sent < 64 * MIB
    assert_bounded(watch, answer)


def test_forms_take_a_few_fields_and_no_files(broker: Broker) -> None:
    url = f"http://127.0.0.1:{broker.port}"
    with httpx.Client(base_url=url, headers=JSON, timeout=10) as client:
        many = client.post("/app/pair", content="&".join(f"f{n}=1" for n in range(50)), headers={
            "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert (many.status_code, many.json()["error"]["code"]) == (400, "invalid_request")
        long = client.post("/app/pair", data={"t": "x" * 60_000})  # read (under the cap), then judged
        assert (long.status_code, long.json()["error"]["code"]) == (422, "validation_failed")
        files = client.post("/c/confirm", files={"code": ("code.txt", b"123456")})
        assert files.status_code == 400
        normal = client.post("/app/pair", data={"t": "ABC-123"})
        assert normal.status_code == 404  # read and answered: no such pairing code


def test_oversized_json_to_the_provider_api_is_refused_before_parsing(broker: Broker) -> None:
    token = _access_token(broker)
    array = b"[" + b'"uwv",' * (10 * MIB // 6) + b'"uwv"]'  # 10 MB
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for framing, head, body in [
        ("declared", {"Content-Length": str(len(array))}, _pieces(array)),
        ("chunked", {"Transfer-Encoding": "chunked"}, chunked(_pieces(array))),
    ]:
        with watching(broker.pid, broker.temp_dir) as watch:
            answer = exchange(
                broker.port, request_head("POST", "/api/v1/sessions", {**headers, **head}), body
            )
        assert (answer.status, answer.code) == (413, "payload_too_large"), (framing, answer)
        assert_bounded(watch, answer)
    # a small request on the same route is still served
    created = httpx.post(
        f"http://127.0.0.1:{broker.port}/api/v1/sessions",
        json={"reference": "edge"},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text


# -- headers


def test_oversized_heads_are_refused_as_they_arrive(broker: Broker) -> None:
    huge = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Flood: "
    with watching(broker.pid, broker.temp_dir) as watch:
        answer = exchange(broker.port, huge, chain(repeated(20 * MIB, b"a" * (256 * 1024)), [b"\r\n\r\n"]))
    assert (answer.status, answer.code) == (431, "headers_too_large"), answer
    assert answer.sent < 16 * MIB
    assert_bounded(watch, answer)

    many = request_head("GET", "/health", {f"X-Field-{n}": "1" for n in range(200)})
    answer = exchange(broker.port, many)
    assert (answer.status, answer.code) == (431, "headers_too_large"), answer
    long_url = request_head("GET", "/health?" + "a" * 10_000)
    answer = exchange(broker.port, long_url)
    assert (answer.status, answer.code) == (414, "uri_too_long"), answer
    # a phone's cookies in full are well within the limit
    cookies = "; ".join(f"c{n}={'v' * 900}" for n in range(8))
    assert exchange(broker.port, request_head("GET", "/health", {"Cookie": cookies})).status == 200


# -- uploads


def _multipart_head(boundary: str, filename: str = "document.pdf") -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


def test_an_upload_without_credentials_is_refused_before_its_body_is_read(broker: Broker) -> None:
    """300 MB, chunked, no cookie: 401 in milliseconds, not a byte of it on disk (it used to be spooled)."""
    boundary = "edge-boundary"
    head = request_head(
        "POST",
        "/app/sources/uwv/upload",
        {"Content-Type": f"multipart/form-data; boundary={boundary}", "Transfer-Encoding": "chunked", **JSON},
    )
    body = chunked(chain([_multipart_head(boundary)], repeated(300 * MIB, b"%PDF" * (64 * 1024))))
    with watching(broker.pid, broker.temp_dir) as watch:
        answer = exchange(broker.port, head, body)
    assert (answer.status, answer.code) == (401, "token_invalid"), answer
    assert answer.sent < 64 * MIB
    assert_bounded(watch, answer)


@pytest.fixture
async def citizen(broker: Broker, personas: dict[str, Persona]) -> PhoneCitizen:
    endpoints = broker.endpoints
    async with AsyncDatabrugClient(
        endpoints.broker_url, endpoints.provider_id, endpoints.client_secret
    ) as provider:
        created = await provider.create_session(reference="edge-upload")
    phone = PhoneCitizen(broker.endpoints)
    await phone.open(created.citizen_url)
    page = await phone.login(personas[PERSONA].applicant)
    assert "/app/sources" in page.url, page.url
    return phone


def _cookie_header(phone: PhoneCitizen) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in phone.browser.http.cookies.jar)


async def test_an_oversized_upload_is_refused_and_a_normal_one_works(
    broker: Broker, citizen: PhoneCitizen
) -> None:
    boundary = "edge-boundary"
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": _cookie_header(citizen),
        **JSON,
    }
    path = "/app/sources/mijnpensioenoverzicht/upload"
    too_big = 50 * MIB
    for framing, head, body in [
        ("declared", {"Content-Length": str(too_big)}, chain([_multipart_head(boundary)], repeated(too_big))),
        (
            "chunked",
            {"Transfer-Encoding": "chunked"},
            chunked(chain([_multipart_head(boundary)], repeated(too_big))),
        ),
    ]:
        with watching(broker.pid, broker.temp_dir) as watch:
            answer = await asyncio.to_thread(
                exchange, broker.port, request_head("POST", path, {**headers, **head}), body
            )
        assert (answer.status, answer.code) == (413, "payload_too_large"), (framing, answer)
        assert answer.sent < UPLOAD_BODY_BYTES + 16 * MIB, framing
        assert_bounded(watch, answer)

    # A browser is sent back to that source with the refusal shown there, and nothing was kept
    browser_head = {k: v for k, v in headers.items() if k != "Accept"} | {"Accept": "text/html"}
    with watching(broker.pid, broker.temp_dir) as watch:
        answer = await asyncio.to_thread(
            exchange,
            broker.port,
            request_head("POST", path, {**browser_head, "Content-Length": str(too_big)}),
            chain([_multipart_head(boundary)], repeated(too_big)),
        )
    assert answer.status == 303, answer
    back = "/app/sources?upload_error=payload_too_large&source=mijnpensioenoverzicht#mijnpensioenoverzicht"
    assert answer.headers["location"] == back
    assert_bounded(watch, answer)
    page = await citizen.get(back.split("#")[0])
    assert "upload-error" in page.texts, page.texts.keys()
    assert citizen.sources()["mijnpensioenoverzicht"].status != "done"

    # The citizen's own download, padded to the cap (Starlette spooled a part over 1 MB to disk)
    document = render_pensioenoverzicht(CATALOGUE[PERSONA].applicant, "xml")
    document += b"\n" + b" " * (UPLOAD_DOCUMENT_BYTES - len(document) - 1)
    with watching(broker.pid, broker.temp_dir) as watch:
        started = time.monotonic()
        uploaded = await citizen.browser.http.post(
            f"{citizen.base}{path}",
            files={"document": ("pensioenaanspraken.xml", document, "application/xml")},
        )
        seconds = time.monotonic() - started
    assert uploaded.status_code == 303, uploaded.text
    assert uploaded.headers["location"] == "/app/sources#mijnpensioenoverzicht"
    assert seconds < 10
    assert watch.peak_growth < EXTRA_RSS, f"peak RSS +{watch.peak_growth / MIB:.0f} MiB"
    assert watch.temp_files == set(), watch.temp_files
    assert watch.written < MIB
    await citizen.get("/app/sources")
    assert citizen.sources()["mijnpensioenoverzicht"].status == "done", citizen.sources()
    await citizen.close()


# -- slow and idle connections


async def _until_closed(
    port: int, sends: list[tuple[float, bytes]], limit: float = 30.0
) -> tuple[float, bytes]:
    """Seconds until the server closed the connection, and what it sent; ``sends`` are (delay, bytes)."""
    started = time.monotonic()  # before the connect: the server's clock starts at its accept
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def send() -> None:
        for delay, data in sends:
            await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    received = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), limit):
            received += chunk
    except (ConnectionError, TimeoutError):
        pass
    elapsed = time.monotonic() - started
    sender.cancel()
    writer.close()
    return elapsed, received


def _status_of(received: bytes) -> int | None:
    return int(received.split()[1]) if received.startswith(b"HTTP/1.1 ") else None


async def test_slow_and_idle_connections_are_closed_within_their_bounds(broker: Broker) -> None:
    line = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    slowloris = [(0.0, line), *((1.0, b"X-Slow-%d: 1\r\n" % n) for n in range(60))]
    health = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    trickle = [
        (0.0, b"POST /api/v1/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
         b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"),
        *((0.5, b"a") for _ in range(200)),
    ]  # fmt: skip
    in_pieces = [(0.0, health[:10]), (0.5, health[10:30]), (0.5, health[30:])]
    results = await asyncio.gather(
        *(_until_closed(broker.port, slowloris) for _ in range(100)),
        _until_closed(broker.port, []),
        _until_closed(broker.port, [(0.0, health)]),
        _until_closed(broker.port, trickle),
        _until_closed(broker.port, in_pieces),
    )
    *slow, silent, idle, trickled, pieces = results
    for elapsed, received in slow:
        assert HEAD_SECONDS - 0.3 < elapsed < HEAD_SECONDS + 3, elapsed
        assert _status_of(received) == 408
        assert b"request_timeout" in received
    assert HEAD_SECONDS - 0.3 < silent[0] < HEAD_SECONDS + 3
    assert silent[1] == b""
    assert _status_of(idle[1]) == 200
    assert IDLE_SECONDS - 0.3 < idle[0] < IDLE_SECONDS + 3
    assert _status_of(trickled[1]) == 408
    assert BODY_SECONDS - 0.3 < trickled[0] < BODY_SECONDS + 3
    assert _status_of(pieces[1]) == 200  # a head in a few pieces within the bound is served
    # and the broker still answers
    assert httpx.get(f"http://127.0.0.1:{broker.port}/health", timeout=5).status_code == 200


# -- the demo provider's webhook receiver


@pytest.fixture(scope="module")
def provider_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """``databrug provider-demo`` as its own process: (pid, port)."""
    directory = tmp_path_factory.mktemp("provider-edge")
    port = free_port()
    credentials = directory / "gezondverzekerd.json"
    provision_provider_demo(
        Settings(
            host="127.0.0.1",
            provider_port=port,
            providers_file=directory / "providers.json",
            broker_secret="edge-test-broker-secret",
        ),
        credentials,
    )
    command = [DATABRUG, "provider-demo", "--host", "127.0.0.1", "--port", str(port), "--credentials",
               str(credentials), "--database-url", f"sqlite:///{directory / 'provider.sqlite3'}"]  # fmt: skip
    with (directory / "provider.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=directory)
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"http://127.0.0.1:{port}/health"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the provider demo did not start")
            time.sleep(0.1)
        yield process.pid, port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_the_webhook_receiver_caps_a_chunked_flood_while_it_streams(
    provider_demo: tuple[int, int], tmp_path: Path
) -> None:
    pid, port = provider_demo
    head = request_head(
        "POST", "/webhooks/databrug", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    )
    with watching(pid, tmp_path) as watch:
        answer = exchange(port, head, chunked(repeated(300 * MIB, b"{" * (64 * 1024))))
    assert answer.status == 413, answer
    assert answer.sent < 64 * MIB
    assert answer.seconds < REFUSED_WITHIN
    assert watch.peak_growth < EXTRA_RSS, f"peak RSS +{watch.peak_growth / MIB:.0f} MiB"
    declared = request_head("POST", "/webhooks/databrug", {"Content-Length": str(MAX_WEBHOOK_BYTES + 1)})
    assert exchange(port, declared, repeated(MAX_WEBHOOK_BYTES + 1)).status == 413
    unsigned = exchange(port, request_head("POST", "/webhooks/databrug", {"Content-Length": "2"}), [b"{}"])
    assert unsigned.status is not None
    assert unsigned.status != 413


def _access_token(broker: Broker) -> str:
    from tests.support.provider_api import access_token

    return access_token(broker.endpoints)


def _pieces(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
