"""Request bodies bounded while they stream, and a document upload read from memory, never from disk.

``RequestBodyLimit`` caps every request body of the app at a small size (a form or a provider API call is a
few hundred bytes); a route that takes more (the document upload) raises its own cap with ``read_body`` once
it has checked the caller, so an unauthenticated caller never gets a byte past the small cap read. A declared
``Content-Length`` over the cap is refused before the first byte is read; a chunked body when its count passes
the cap. The refusal is the catalogue's ``payload_too_large`` (413), and the server closes the connection
rather than read the rest (``web/server.py``).

Starlette's form parser spools a file part over 1 MB to a temporary file; ``form_file`` parses the capped
body in memory with python-multipart's own parser instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypedDict

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from databrug.broker import BrokerError

DEFAULT_BODY_BYTES = 64 * 1024
BODY_LIMIT_KEY = "databrug.body_limit"
"""Scope key: the body cap of this request, when a route raised it (``read_body``)."""
RETURN_TO_KEY = "databrug.body_return_to"
"""Scope key: the page a browser goes back to when this request's body is over its cap (``read_body``)."""


class FormLimits(TypedDict, total=False):
    """FastAPI's ``form_limits`` of a router (the fields of its own private ``_FormLimits``)."""

    max_fields: int
    max_files: int
    max_part_size: int


SMALL_FORMS: FormLimits = {"max_fields": 32, "max_files": 0, "max_part_size": DEFAULT_BODY_BYTES}
"""Every form of the pages, the app and the token endpoint: a few short fields, no files. Room is left for the
extra fields a client may send along (the token endpoint's schema allows them). A field is no longer than the
body cap, so an oversized body is always the cap's 413, whichever chunk sizes it arrives in."""


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The Content-Length; None for a chunked body (or an unparsable length, counted as it streams)."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
        if name == b"transfer-encoding":
            return None
    return 0  # neither: no body (RFC 9112 §6.3)


class RequestBodyLimit:
    """Pure ASGI (it wraps ``receive`` only for requests that have a body). After a refusal the application
    sees a disconnect, and what it sends or raises is dropped: the 413 has been answered."""

    def __init__(
        self, app: ASGIApp, *, refusal: Callable[[Scope], Response], max_bytes: int = DEFAULT_BODY_BYTES
    ) -> None:
        self.app = app
        self.refusal = refusal
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope["headers"])
        if declared == 0:
            await self.app(scope, receive, send)
            return
        received = 0
        refused = False
        answering = False

        async def refuse() -> Message:
            nonlocal refused
            refused = True
            if not answering:
                await self.refusal(scope)(scope, receive, send)
            return {"type": "http.disconnect"}

        async def limited_receive() -> Message:
            nonlocal received
            if refused:
                return {"type": "http.disconnect"}
            limit: int = scope.get(BODY_LIMIT_KEY, self.max_bytes)
            if declared is not None and declared > limit:
                return await refuse()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    return await refuse()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answering
            if refused:
                return
            answering = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise


async def read_body(request: Request, max_bytes: int, *, return_to: str | None = None) -> bytearray:
    """The whole body, up to ``max_bytes`` instead of the app's small cap (a route calls it after it has
    checked the caller's credentials). One buffer, not kept on the request: the caller can let it go.
    ``return_to``: where a browser is sent back when the body is over the cap (the refusal is still a 413
    for a client that asks for JSON)."""
    request.scope[BODY_LIMIT_KEY] = max_bytes
    if return_to is not None:
        request.scope[RETURN_TO_KEY] = return_to
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:  # the middleware refuses first; this holds without it too
            raise BrokerError("payload_too_large", f"at most {max_bytes} bytes")
    return body


def form_file(body: bytes | bytearray, content_type: str | None, field: str, *, max_parts: int = 4) -> bytes:
    """The content of the part named ``field`` of a ``multipart/form-data`` body held in memory. The part's
    data is kept as views into ``body`` until it is joined, so the body is copied once."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise BrokerError("invalid_request", "send the document as multipart/form-data")
    whole = memoryview(body)
    parts: list[tuple[list[tuple[bytes, bytes]], list[bytes | memoryview]]] = []
    header_name = bytearray()
    header_value = bytearray()
    ended = False

    def on_part_begin() -> None:
        if len(parts) == max_parts:
            raise BrokerError("invalid_request", f"at most {max_parts} form parts")
        parts.append(([], []))

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        parts[-1][0].append((bytes(header_name).lower(), bytes(header_value)))
        header_name.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        # the parser hands out slices of the body, or of its own buffer around a boundary it was not sure of
        parts[-1][1].append(whole[start:end] if data is body else bytes(data[start:end]))

    def on_end() -> None:
        nonlocal ended
        ended = True

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_end": on_end,
        },
    )
    try:
        parser.write(body)  # type: ignore[arg-type]  # a bytearray reads as bytes do
        parser.finalize()
    except FormParserError:
        ended = False
    if not ended:
        raise BrokerError("invalid_request", "the multipart body is malformed or cut short")
    for headers, pieces in parts:
        disposition = dict(headers).get(b"content-disposition", b"")
        _, params = parse_options_header(disposition)
        if params.get(b"name") == field.encode("ascii"):
            return b"".join(pieces)
    raise BrokerError("validation_failed", f"no form field '{field}'")
