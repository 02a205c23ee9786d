"""An exception nothing expected, in the broker's app: the catalogue's ``internal_error`` answer (with the
security headers), a log line with its type and place only, and nothing raised to the server, wherever it
happens (a route, a middleware outside the guard, a response already under way). The test client raises
whatever the app lets escape, so an escape fails the test."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from databrug.bootstrap import build_broker
from databrug.config import Settings
from databrug.web.app import create_app
from databrug.web.unhandled import AnswerUnhandled, raised_at

MARKER = "M4rk3r-0f-r3qu3st-d4t4"


def broker_app(tmp_path: Path) -> FastAPI:
    settings = Settings(providers_file=tmp_path / "providers.json", broker_secret="unit-test-broker-secret")
    app = create_app(build_broker(settings), background=False)

    async def fails(value: str) -> None:
        raise ValueError(f"cannot use {value}")  # the message holds request data

    async def fails_mid_stream() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            yield b"first part\n"
            raise ValueError(f"cannot go on {MARKER}")

        return StreamingResponse(body(), media_type="text/plain")

    app.add_api_route("/test/fails/{value}", fails)
    app.add_api_route("/test/fails-mid-stream", fails_mid_stream)
    return app


def server_side(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith("httpx")]  # the test client logs its URLs


def client(app: ASGIApp) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://broker.test")


async def test_an_exception_in_a_route_is_the_catalogues_500_and_one_line_without_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client(broker_app(tmp_path)) as http:
        answer = await http.get(f"/test/fails/{MARKER}", headers={"Accept": "application/json"})
        page = await http.get(f"/test/fails/{MARKER}")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert answer.headers["x-content-type-options"] == "nosniff"  # inside SecurityHeaders
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in page.headers
    lines = [r.getMessage() for r in caplog.records if r.name == "databrug.web"]
    assert (
        lines
        == [f"unhandled error type=ValueError at={__name__}:{fails_line()} route=GET /test/fails/{{value}}"]
        * 2
    )
    assert not any(MARKER in r.getMessage() or r.exc_info for r in server_side(caplog))
    access = [r.getMessage() for r in caplog.records if r.name == "databrug.access"]
    assert all(" 500 " in line for line in access), access


def fails_line() -> int:
    """The line ``fails`` raises on: the deepest frame, as no frame of ``databrug`` is deeper."""
    source = Path(__file__).read_text().splitlines()
    return next(n for n, line in enumerate(source, 1) if 'raise ValueError(f"cannot use' in line)


async def test_an_exception_in_a_middleware_outside_the_guard_is_answered_and_kept_from_the_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = broker_app(tmp_path)

    class Broken:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                raise RuntimeError(f"middleware bug {MARKER}")
            await self.app(scope, receive, send)

    app.add_middleware(Broken)  # the outermost of the app's own middleware
    caplog.set_level(logging.DEBUG)
    async with client(app) as http:
        answer = await http.get("/health", headers={"Accept": "application/json"})
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    lines = [r.getMessage() for r in caplog.records if r.name == "databrug.web"]
    assert len(lines) == 1
    assert lines[0].startswith(f"unhandled error type=RuntimeError at={__name__}:")
    assert not any(MARKER in r.getMessage() or r.exc_info for r in server_side(caplog))


async def test_an_exception_after_the_response_began_ends_it_short_and_logs_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Called as a server would call it (the test client insists on complete responses): the response stays
    unfinished, so the server drops the connection and the client sees a broken answer, not a short one."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/test/fails-mid-stream",
        "raw_path": b"/test/fails-mid-stream",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"broker.test")],
        "client": ("127.0.0.1", 50000),
        "server": ("broker.test", 80),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    caplog.set_level(logging.DEBUG)
    await broker_app(tmp_path)(scope, receive, send)  # returns: nothing escapes
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"first part\n"
    assert sent[1].get("more_body") is True  # never finished
    lines = [r.getMessage() for r in caplog.records if r.name == "databrug.web"]
    assert len(lines) == 1
    assert lines[0].startswith("unhandled error type=ValueError")
    assert not any(MARKER in r.getMessage() or r.exc_info for r in server_side(caplog))


async def test_the_frameworks_own_signals_pass_through_the_guard(caplog: pytest.LogCaptureFixture) -> None:
    async def signals(scope: Scope, receive: Receive, send: Send) -> None:
        raise HTTPException(413)

    async def answer(request: object) -> None:
        raise AssertionError("a signal is not answered here")

    with pytest.raises(HTTPException):
        await AnswerUnhandled(signals, answer)({"type": "http", "method": "GET"}, _nothing, _drop)  # type: ignore[arg-type]
    assert not caplog.records


async def _nothing() -> dict[str, object]:
    return {"type": "http.request", "body": b""}


async def _drop(message: object) -> None:
    return None


def test_raised_at_names_the_deepest_frame_of_our_own_code() -> None:
    def ours() -> None:
        int("x")  # the ValueError is raised in builtins, below this frame

    with pytest.raises(ValueError, match="invalid literal") as caught:
        ours()
    assert raised_at(caught.value, own_package=__name__.split(".")[0]).startswith(f"{__name__}:")
    assert raised_at(caught.value, own_package="no_such_package") == "unknown" or ":" in raised_at(
        caught.value
    )
