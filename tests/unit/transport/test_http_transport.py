"""The aiohttp transport under the broker's httpx client, against a real local HTTP server: what httpx callers
rely on (status, headers, bodies both ways, gzip decoded once, no redirects followed, httpx's own exceptions
for a refused connection and a timeout) holds, also when the client is used from a second event loop; and the
body streams, so a caller can stop reading a large answer (the source fetch's byte cap)."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from databrug.http_transport import AiohttpTransport


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/gzip":
            self._send(200, gzip.compress(b"packed " * 100), Content_Encoding="gzip")
        elif self.path == "/redirect":
            self._send(302, b"", Location="/elsewhere")
        elif self.path == "/slow":
            time.sleep(1.0)
            self._send(200, b"late")
        elif self.path == "/large":  # 64 MiB, chunked: no length to refuse it by
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            piece = b"\0" * 65536
            try:
                for _ in range(1024):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the client stopped reading and hung up
        else:
            auth = self.headers.get("Authorization", "")
            self._send(200, f"hello {auth}".encode(), X_Source="test", Content_Type="text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self._send(201, body[::-1], Content_Type=self.headers.get("Content-Type", ""))

    def log_message(self, format: str, *args: object) -> None:
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the timed-out client has gone when /slow answers: a broken pipe is expected there


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=AiohttpTransport(), follow_redirects=False)


async def test_status_headers_and_bodies_both_ways(base_url: str) -> None:
    async with client() as http:
        answer = await http.get(f"{base_url}/hello", headers={"Authorization": "Bearer abc"})
        assert answer.status_code == 200
        assert answer.text == "hello Bearer abc"
        assert answer.headers["x-source"] == "test"
        posted = await http.post(f"{base_url}/echo", json={"a": 1})
        assert posted.status_code == 201
        assert posted.content == b'{"a":1}'[::-1]
        assert posted.headers["content-type"] == "application/json"
        form = await http.post(f"{base_url}/echo", data={"grant": "x y"})
        assert form.content == b"grant=x+y"[::-1]


async def test_gzip_is_decoded_once_and_redirects_are_not_followed(base_url: str) -> None:
    async with client() as http:
        packed = await http.get(f"{base_url}/gzip")
        assert packed.content == b"packed " * 100
        moved = await http.get(f"{base_url}/redirect")
        assert moved.status_code == 302
        assert moved.headers["location"] == "/elsewhere"


async def test_failures_are_httpx_exceptions(base_url: str) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed_port = free.getsockname()[1]
    async with client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{closed_port}/")
        with pytest.raises(httpx.TimeoutException):
            await http.get(f"{base_url}/slow", timeout=0.2)
        assert (await http.get(f"{base_url}/hello")).status_code == 200  # still usable afterwards


def test_one_client_on_two_event_loops(base_url: str) -> None:
    http = client()

    async def fetch() -> str:
        return (await http.get(f"{base_url}/hello")).text

    assert asyncio.run(fetch()) == "hello "
    assert asyncio.run(fetch()) == "hello "


async def test_the_body_streams_and_a_caller_can_stop_a_large_answer(base_url: str) -> None:
    tracemalloc.start()
    try:
        async with client() as http, http.stream("GET", f"{base_url}/large") as answer:
            assert answer.status_code == 200
            read = 0
            async for piece in answer.aiter_raw():
                read += len(piece)
                if read > 4 * 1024 * 1024:
                    break
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read > 4 * 1024 * 1024
    assert peak < 2 * 1024 * 1024  # piece by piece: nothing buffered the answer whole
