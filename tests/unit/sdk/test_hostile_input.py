"""The SDK against hostile input: every webhook, package, receipt and broker answer, however deep, large or
garbled, ends in the SDK's typed errors (never RecursionError, UnicodeError or MemoryError), quickly and
within a small memory bound. Every input is generated here."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import itertools
import json
import secrets
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from joserfc import jwe, jws
from joserfc.jwk import KeySet

from databrug.delivery.jwe import seal
from databrug.delivery.receipts import generate_signing_key, public_jwks
from databrug.sdk import (
    DatabrugClient,
    DatabrugError,
    PackageError,
    ReceiptError,
    WebhookVerificationError,
    decrypt_package,
    generate_provider_keys,
    verify_deletion_receipt,
    verify_webhook,
)
from databrug.sdk.client import MAX_ANSWER_BYTES
from databrug.sdk.crypto import JWE_ALG, JWE_ENC, MAX_JWE_CHARS, PACKAGE_MEDIA_TYPE
from databrug.sdk.receipts import RECEIPT_ALG, RECEIPT_TYP
from databrug.sdk.sse import SseDecoder
from databrug.sdk.webhooks import MAX_WEBHOOK_BYTES

NOW = 1_764_331_200
SECONDS = 1.0  # each refusal takes milliseconds; the bound holds on a loaded CI machine
MIB = 1024 * 1024


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def refused(
    kind: type[DatabrugError], action: Callable[[], object], *, peak_mib: float = 16
) -> DatabrugError:
    """The typed error ``action`` raises, checked to come within the time bound and the memory bound."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(kind) as caught:
            action()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < SECONDS, f"{elapsed:.2f} s"
    assert peak < peak_mib * MIB, f"{peak / MIB:.1f} MiB"
    return caught.value


# ---------------------------------------------------------------- webhooks


SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signed(body: bytes, msg_id: str = "msg_1", ts: str = str(NOW)) -> dict[str, str]:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


def test_a_signed_body_nested_100000_deep_is_a_verification_error() -> None:
    body = b'{"type": "x", "timestamp": "2025-11-28T12:00:00Z", "data": {"a": ' + deep(100_000) + b"}}"
    # past the default size cap it is refused before its signature is even computed ...
    error = refused(WebhookVerificationError, lambda: verify_webhook(signed(body), body, SECRET, now=NOW))
    assert error.code == "webhook_body_too_large"
    # ... and with a cap that lets it through, the parser stops at its nesting bound
    error = refused(
        WebhookVerificationError,
        lambda: verify_webhook(signed(body), body, SECRET, now=NOW, max_bytes=len(body)),
    )
    assert error.code == "webhook_body_invalid"
    within_cap = deep(MAX_WEBHOOK_BYTES // 2)
    error = refused(
        WebhookVerificationError, lambda: verify_webhook(signed(within_cap), within_cap, SECRET, now=NOW)
    )
    assert error.code == "webhook_body_invalid"


def test_a_huge_body_is_refused_before_its_signature_is_computed() -> None:
    body = b"A" * (64 * MIB)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(NOW), "webhook-signature": "v1,AAAA"}
    error = refused(
        WebhookVerificationError, lambda: verify_webhook(headers, body, SECRET, now=NOW), peak_mib=1
    )
    assert error.code == "webhook_body_too_large"


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe{\x00}\x00",  # not UTF-8
        json.dumps({"type": "x", "timestamp": "2025-11-28T12:00:00Z"}).encode("utf-16"),
        b'{"type": "x", "timestamp": "2025-11-28T12:00:00Z", "data": {"a": "\xc3"}}',  # a cut multi-byte char
        b"[1, 2, 3]",  # JSON, but not an object
        b'{"type": ' + b"1" * 5000 + b"}",
        b"",
    ],
    ids=["utf-16-bom", "utf-16", "truncated-utf-8", "array", "huge-number", "empty"],
)
def test_a_signed_body_that_is_not_utf8_json_of_an_event_is_refused(body: bytes) -> None:
    error = refused(WebhookVerificationError, lambda: verify_webhook(signed(body), body, SECRET, now=NOW))
    assert error.code == "webhook_body_invalid"


def test_a_repeated_key_keeps_its_last_value_as_in_the_brokers_json() -> None:
    body = b'{"type": "session.paired", "type": "package.ready", "timestamp": "2025-11-28T12:00:00Z"}'
    assert verify_webhook(signed(body), body, SECRET, now=NOW).type == "package.ready"


BODY = b'{"type": "package.ready", "timestamp": "2025-11-28T12:00:00Z", "data": {}}'


@pytest.mark.parametrize(
    ("garble", "code"),
    [
        ({"webhook-id": "msg_é"}, "webhook_header_invalid"),
        ({"webhook-id": ""}, "webhook_header_invalid"),
        ({"webhook-id": "msg 1"}, "webhook_header_invalid"),
        ({"webhook-id": "m" * 100_000}, "webhook_header_invalid"),
        ({"webhook-id": "msg_\x00"}, "webhook_header_invalid"),
        ({"webhook-timestamp": "١٧٦٤٣٣١٢٠٠"}, "webhook_timestamp_invalid"),  # digits, but not ASCII ones
        ({"webhook-timestamp": " 1764331200"}, "webhook_timestamp_invalid"),
        ({"webhook-timestamp": "1_764_331_200"}, "webhook_timestamp_invalid"),
        ({"webhook-timestamp": "9" * 5000}, "webhook_header_invalid"),
        ({"webhook-timestamp": "1e9"}, "webhook_timestamp_invalid"),
        ({"webhook-timestamp": "-1"}, "webhook_timestamp_invalid"),
        ({"webhook-signature": "v1,é"}, "webhook_signature_invalid"),
        ({"webhook-signature": "v1,!!!!"}, "webhook_signature_invalid"),
        ({"webhook-signature": "v1,"}, "webhook_signature_invalid"),
        ({"webhook-signature": ","}, "webhook_signature_invalid"),
        ({"webhook-signature": "v1,AAAA " * 100_000}, "webhook_header_invalid"),
        ({"webhook-signature": "\x00"}, "webhook_signature_invalid"),
    ],
)
def test_garbled_signature_headers_are_verification_errors(garble: dict[str, str], code: str) -> None:
    headers = {**signed(BODY), **garble}
    error = refused(WebhookVerificationError, lambda: verify_webhook(headers, BODY, SECRET, now=NOW))
    assert error.code == code


def test_headers_of_the_wrong_type_are_verification_errors() -> None:
    headers: dict[str, Any] = {**signed(BODY), "webhook-id": b"msg_1"}
    error = refused(WebhookVerificationError, lambda: verify_webhook(headers, BODY, SECRET, now=NOW))
    assert error.code == "webhook_header_invalid"


# ---------------------------------------------------------------- packages

KEYS = generate_provider_keys()


def sealed_plaintext(plaintext: bytes) -> str:
    return str(seal(plaintext, KEYS.public_jwks).compact)


@pytest.mark.parametrize(
    "plaintext",
    [deep(100_000), b'{"subjects": ' + deep(50_000) + b"}", b"\xff\xfe\x00", b"[]", b"", b"null"],
    ids=["deep-array", "deep-in-object", "not-utf-8", "array", "empty", "null"],
)
def test_a_package_that_decrypts_to_garbage_is_a_package_error(plaintext: bytes) -> None:
    token = sealed_plaintext(plaintext)
    error = refused(PackageError, lambda: decrypt_package(token, KEYS.private_jwks))
    assert error.code == "package_invalid"


def _header(fields: dict[str, Any]) -> str:
    return b64url(json.dumps(fields).encode())


@pytest.mark.parametrize(
    "token",
    [
        "",
        "....",
        "a.b.c.d",
        "a.b.c.d.e.f",
        "é.é.é.é.é",
        "\x00.\x00.\x00.\x00.\x00",
        "!!.!!.!!.!!.!!",
        b64url(b"\xff\xfe") + ".a.b.c.d",
        _header({"alg": JWE_ALG, "enc": JWE_ENC, "x": json.loads(deep(300))}) + ".a.b.c.d",
        b64url(deep(100_000)) + ".a.b.c.d",
        _header({"alg": JWE_ALG, "enc": JWE_ENC}) + "." + "A" * 2000 + ".a.b.c",
    ],
    ids=[
        "empty",
        "dots",
        "four-parts",
        "six-parts",
        "non-ascii",
        "nul",
        "not-base64",
        "header-not-utf-8",
        "deep-header",
        "huge-deep-header",
        "huge-key",
    ],
)
def test_a_malformed_jwe_is_a_package_error(token: str) -> None:
    error = refused(PackageError, lambda: decrypt_package(token, KEYS.private_jwks))
    assert error.code == "package_undecryptable"


def test_a_compressed_jwe_is_refused_not_inflated() -> None:
    key = KeySet.import_key_set(KEYS.public_jwks).keys[0]  # type: ignore[arg-type]
    bomb = b"[" + b"0," * (8 * MIB) + b"0]"  # 16 MiB of JSON that deflates to a few KiB
    token = jwe.encrypt_compact(
        {"alg": JWE_ALG, "enc": JWE_ENC, "zip": "DEF", "cty": PACKAGE_MEDIA_TYPE, "kid": KEYS.kid},
        bomb,
        key,
        algorithms=[JWE_ALG, JWE_ENC, "DEF"],
    )
    assert len(token) < 100_000
    error = refused(PackageError, lambda: decrypt_package(token, KEYS.private_jwks), peak_mib=4)
    assert error.code == "package_undecryptable"


def test_a_jwe_over_the_largest_package_is_refused_before_it_is_parsed() -> None:
    token = _header({"alg": JWE_ALG, "enc": JWE_ENC}) + "..a." + "A" * MAX_JWE_CHARS + ".a"
    error = refused(PackageError, lambda: decrypt_package(token, KEYS.private_jwks), peak_mib=1)
    assert error.code == "package_too_large"


# ---------------------------------------------------------------- deletion receipts

SIGNING_KEY = generate_signing_key("broker-1")
BROKER_JWKS = public_jwks(SIGNING_KEY)


def signed_receipt(payload: bytes, typ: str = RECEIPT_TYP) -> str:
    header = {"alg": RECEIPT_ALG, "kid": "broker-1", "typ": typ}
    return str(jws.serialize_compact(header, payload, SIGNING_KEY, algorithms=[RECEIPT_ALG]))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        "é.é.é",
        "\x00.\x00.\x00",
        b64url(b"\xff") + ".a.b",
        b64url(deep(100_000)) + ".a.b",
        "A" * (10 * MIB),
        signed_receipt(deep(100_000)),
        signed_receipt(b"\xff\xfe"),
        signed_receipt(b'{"kind": "databrug.deletion-receipt", "kind": 1}'),
        signed_receipt(b"{}", typ="JWT"),
        12,
        None,
    ],
    ids=[
        "empty",
        "two-parts",
        "four-parts",
        "non-ascii",
        "nul",
        "header-not-utf-8",
        "deep-header",
        "huge",
        "deep-payload",
        "payload-not-utf-8",
        "payload-wrong",
        "wrong-typ",
        "a-number",
        "none",
    ],
)
def test_a_malformed_receipt_is_a_receipt_error(token: Any) -> None:
    error = refused(ReceiptError, lambda: verify_deletion_receipt(token, BROKER_JWKS))
    assert error.code == "receipt_invalid"


# ---------------------------------------------------------------- the broker's answers

BASE = "https://broker.test"
TOKEN_ANSWER = {"access_token": "dbt_x.y", "token_type": "Bearer", "expires_in": 900}


def client_answering(answer: Callable[[httpx.Request], httpx.Response]) -> DatabrugClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/token":
            return httpx.Response(200, json=TOKEN_ANSWER)
        return answer(request)

    return DatabrugClient(BASE, "p", "s", KEYS.private_jwks, transport=httpx.MockTransport(handler))


def endless(chunk: bytes, total: int) -> Iterator[bytes]:
    for _ in range(total // len(chunk)):
        yield chunk


@pytest.mark.parametrize(
    ("answer", "call", "code"),
    [
        (httpx.Response(500, content=deep(100_000)), "get_session", "http_500"),
        (httpx.Response(200, content=deep(100_000)), "get_session", "unexpected_answer"),
        (httpx.Response(200, content=deep(100_000)), "events", "unexpected_answer"),
        (httpx.Response(200, content=b'{"events": ' + deep(100_000) + b"}"), "events", "unexpected_answer"),
        (httpx.Response(200, content=b"\xff\xfe"), "events", "unexpected_answer"),
        (
            httpx.Response(200, content=b'{"receipt": ' + deep(100_000) + b"}"),
            "acknowledge",
            "unexpected_answer",
        ),
        (httpx.Response(200, content=b"A" * (MAX_ANSWER_BYTES + 1)), "get_session", "answer_too_large"),
        (httpx.Response(200, content=endless(b"A" * 65536, 64 * MIB)), "events", "answer_too_large"),
        (
            httpx.Response(
                200, content=iter([gzip.compress(b"[" * (64 * MIB))]), headers={"content-encoding": "gzip"}
            ),
            "events",
            "unexpected_answer",
        ),
        (
            httpx.Response(
                200, content=endless(b"A" * 65536, 64 * MIB), headers={"content-type": "application/jose"}
            ),
            "fetch_package_jwe",
            "answer_too_large",
        ),
        (
            httpx.Response(200, headers={"content-type": "application/jose", "content-length": str(10**12)}),
            "fetch_package_jwe",
            "answer_too_large",
        ),
    ],
    ids=[
        "deep-error",
        "deep-status",
        "deep-events",
        "deep-in-events",
        "events-not-utf-8",
        "deep-receipt",
        "huge-status",
        "endless-events",
        "gzip-bomb",
        "endless-package",
        "declared-huge-package",
    ],
)
def test_a_hostile_answer_is_a_databrug_error(answer: httpx.Response, call: str, code: str) -> None:
    with client_answering(lambda request: answer) as client:
        method = getattr(client, call)
        # a package may be read up to the largest JWE before it is refused: the bound is that, not 16 MiB
        peak = 2 * MAX_JWE_CHARS / MIB + 16 if call == "fetch_package_jwe" else 16
        error = refused(DatabrugError, lambda: method("ses_1"), peak_mib=peak)
    assert error.code == code


def sse(chunks: Iterator[bytes]) -> httpx.Response:
    return httpx.Response(200, content=chunks, headers={"content-type": "text/event-stream"})


def event_line(seq: int) -> bytes:
    at = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    data = json.dumps({"seq": seq, "type": "session.paired", "state": "paired", "at": at})
    return f"id: {seq}\nevent: session.paired\ndata: {data}\n\n".encode()


@pytest.mark.parametrize(
    "stream",
    [
        lambda: itertools.chain([event_line(1), b"data: "], endless(b"A" * 65536, 64 * MIB)),  # no line end
        lambda: itertools.chain(
            [event_line(1)], endless(b"data: " + b"A" * 1000 + b"\n", 64 * MIB)
        ),  # no blank
        lambda: iter([event_line(1), b"data: " + deep(100_000) + b"\n\n"]),
    ],
    ids=["endless-line", "endless-message", "deep-event"],
)
def test_a_hostile_event_stream_ends_in_a_databrug_error(stream: Callable[[], Iterator[bytes]]) -> None:
    with client_answering(lambda request: sse(stream())) as client:
        events = client.follow_events("ses_1")
        assert next(events).id == 1  # what came before is delivered
        error = refused(DatabrugError, lambda: next(events))
    assert error.code == "unexpected_answer"


def test_the_event_stream_reader_splits_lines_wherever_the_pieces_are_cut() -> None:
    text = "id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\rdata: c\n\n"
    for cut in range(1, len(text)):
        decoder = SseDecoder()
        messages = decoder.feed_text(text[:cut]) + decoder.feed_text(text[cut:])
        assert [(m.id, m.data) for m in messages] == [("1", "a"), ("2", "b"), ("2", "c")], cut
