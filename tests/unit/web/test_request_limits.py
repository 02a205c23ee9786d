"""The in-memory multipart reader of the upload route, and the server's log lines without tracebacks.
The limits themselves are tested against a real server: tests/integration/security/test_request_bounds.py."""

from __future__ import annotations

import logging

import pytest

from databrug.broker import BrokerError
from databrug.web.request_limits import form_file
from databrug.web.server import server_config

BOUNDARY = "b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: tuple[str, bytes], end: bool = True) -> bytes:
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="x"\r\n\r\n'.encode()
        + content
        + b"\r\n"
        for name, content in parts
    )
    return body + (f"--{BOUNDARY}--\r\n".encode() if end else b"")


def test_the_named_part_is_read_from_memory() -> None:
    # with a near-boundary inside, which the parser holds back in a buffer of its own before giving it out
    document = b"%PDF-1.7\r\n--not-the-boundary\r\n" + bytes(range(256)) * 100 + f"\r\n--{BOUNDARY}X".encode()
    body = multipart(("other", b"x"), ("document", document))
    assert form_file(body, CONTENT_TYPE, "document") == document
    assert form_file(bytearray(body), CONTENT_TYPE, "document") == document  # as the upload route reads it


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (multipart(("other", b"x")), CONTENT_TYPE, "validation_failed"),
        (multipart(("document", b"x"), end=False), CONTENT_TYPE, "invalid_request"),
        (multipart(*[("f", b"x")] * 5, ("document", b"x")), CONTENT_TYPE, "invalid_request"),
        (b"document=x", "application/x-www-form-urlencoded", "invalid_request"),
        (multipart(("document", b"x")), "multipart/form-data", "invalid_request"),
        (b"garbage", CONTENT_TYPE, "invalid_request"),
    ],
    ids=["missing", "cut-short", "too-many-parts", "not-multipart", "no-boundary", "garbage"],
)
def test_anything_else_is_refused_with_a_code(body: bytes, content_type: str, code: str) -> None:
    with pytest.raises(BrokerError) as refused:
        form_file(body, content_type, "document")
    assert refused.value.code == code


async def app(scope: object, receive: object, send: object) -> None:
    pass


def test_the_server_logs_an_exception_without_its_traceback_or_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    server_config(app, "127.0.0.1", 0)  # configures uvicorn's logging, as every server of the product does
    try:
        raise ValueError("Authorization: Bearer dbt_éé.é bsn=123456782")
    except ValueError as error:
        logging.getLogger("uvicorn.error").error("Exception in ASGI application\n", exc_info=error)
        logging.getLogger("asyncio").error("Exception in callback", exc_info=error)
    written = capsys.readouterr().err
    assert "Exception in ASGI application (ValueError)" in written
    assert "Traceback" not in written
    assert "123456782" not in written
    assert "dbt_" not in written
