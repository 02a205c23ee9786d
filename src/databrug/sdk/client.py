"""HTTP clients for the provider API (``/api/v1``): ``DatabrugClient`` (sync) and ``AsyncDatabrugClient``.

Two real clients over httpx's ``Client`` and ``AsyncClient`` rather than a sync wrapper around async code: a
wrapper that runs an event loop breaks inside frameworks that already run one. Both share the request and
answer handling below; their methods have the same names and meaning.

Authentication: OAuth2 client credentials at ``POST /api/v1/token``; the access token is cached until shortly
before it expires and fetched again once when the broker answers 401. Errors from the broker
(``{"error": {"code", "message"}}``) and transport failures raise ``DatabrugError``.

Answers are read up to a size (``MAX_ANSWER_BYTES``; a package up to the largest JWE) and their JSON parsed
with bounded nesting, so an answer of any shape or size ends in a ``DatabrugError`` too.
"""

# Over 400 lines on purpose: the sync and the async client mirror each other method by method, side by side,
# so a change to one is seen next to the other (the SDK may import nothing of the broker to share them).

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import pydantic_core
from pydantic import BaseModel, ValidationError

from databrug.records import DataPackage
from databrug.sdk.crypto import MAX_JWE_CHARS, decrypt_package
from databrug.sdk.errors import DatabrugError
from databrug.sdk.models import AccessToken, CreatedSession, SessionEvent, SessionStatus
from databrug.sdk.receipts import DeletionReceipt, verify_deletion_receipt
from databrug.sdk.sse import SseDecoder, SseMessage

API = "/api/v1"
JOSE_MEDIA_TYPE = "application/jose"
_TOKEN_MARGIN_SECONDS = 30
MAX_ANSWER_BYTES = 1024 * 1024
"""Every answer but a package is a few KiB at most."""
_HEADERS = {"accept-encoding": "identity"}  # see _uncompressed
Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Acknowledgement:
    """The answer to an acknowledgement: the receipt token (keep it) and, if checked, its content."""

    receipt_token: str
    receipt: DeletionReceipt | None

    def matches(self, jwe: str) -> bool:
        """Whether the (verified) receipt names the ciphertext you fetched: its SHA-256 is in the receipt."""
        digest = hashlib.sha256(jwe.strip().encode("ascii")).hexdigest()
        return self.receipt is not None and hmac.compare_digest(self.receipt.ciphertext_sha256, digest)


def _session_path(session_id: str, *rest: str) -> str:
    return "/".join([f"{API}/sessions/{quote(session_id, safe='')}", *rest])


def _json(content: bytes | str) -> Any:
    """Strict JSON with bounded nesting: ``ValueError`` for anything else, never a ``RecursionError``."""
    return pydantic_core.from_json(content)


def _uncompressed(response: httpx.Response) -> None:
    """The client asks for answers as they are (``identity``): inflating one could not be bounded (httpx
    inflates each piece whole, 64 KiB of gzip into 64 MiB), so a compressed answer is refused."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise DatabrugError(
            "unexpected_answer", f"the answer is compressed ({encoding[:20]}), asked for none"
        )


class _LimitedBody:
    """An answer's body as it arrives, up to ``limit`` bytes (decoded), then the answer as httpx gives it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []

    def start(self, response: httpx.Response) -> None:
        _uncompressed(response)
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.limit:
            raise self._too_large()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise self._too_large()
        self.chunks.append(chunk)

    def _too_large(self) -> DatabrugError:
        return DatabrugError("answer_too_large", f"the broker's answer is over {self.limit} bytes")

    def response(self, streamed: httpx.Response) -> httpx.Response:
        headers = [
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            streamed.status_code,
            headers=headers,
            content=b"".join(self.chunks),
            request=streamed.request,
            extensions={"reason_phrase": streamed.reason_phrase.encode("ascii", "replace")},
        )


def _error_from(response: httpx.Response) -> DatabrugError:
    try:
        error = _json(response.content)["error"]
        return DatabrugError(str(error["code"]), str(error["message"]), response.status_code)
    except (ValueError, KeyError, TypeError):
        return DatabrugError(f"http_{response.status_code}", response.reason_phrase, response.status_code)


def _model(model: type[Model], response: httpx.Response) -> Model:
    if response.is_error:
        raise _error_from(response)
    try:
        return model.model_validate_json(response.content)
    except ValidationError:
        raise DatabrugError(
            "unexpected_answer", f"answer is not a {model.__name__}", response.status_code
        ) from None


def _events(response: httpx.Response) -> list[SessionEvent]:
    if response.is_error:
        raise _error_from(response)
    try:
        items = _json(response.content)
        items = items["events"] if isinstance(items, dict) else items
        return [SessionEvent.model_validate(item) for item in items]
    except (ValueError, KeyError, TypeError, ValidationError):
        raise DatabrugError(
            "unexpected_answer", "answer is not a list of events", response.status_code
        ) from None


def _event_from_sse(message: SseMessage) -> SessionEvent | None:
    if message.event == "keepalive":
        return None
    try:
        payload = _json(message.data)
        if isinstance(payload, dict):
            payload.setdefault("type", message.event)
            if message.id is not None:
                payload.setdefault("id", int(message.id))
        return SessionEvent.model_validate(payload)
    except (ValueError, TypeError, ValidationError):
        raise DatabrugError("unexpected_answer", "event stream message is not an event") from None


def _jwe_text(response: httpx.Response) -> str:
    if response.is_error:
        raise _error_from(response)
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if media_type != JOSE_MEDIA_TYPE:
        raise DatabrugError("unexpected_answer", f"package answer is {media_type or 'untyped'}, not JWE")
    return response.text.strip()


def _receipt_token(response: httpx.Response) -> str:
    """The deletion receipt JWS, whether sent as ``application/jose`` or as ``{"receipt": "..."}``."""
    if response.is_error:
        raise _error_from(response)
    if response.headers.get("content-type", "").startswith(JOSE_MEDIA_TYPE):
        return response.text.strip()
    try:
        return str(_json(response.content)["receipt"])
    except (ValueError, KeyError, TypeError):
        raise DatabrugError(
            "unexpected_answer", "acknowledgement has no receipt", response.status_code
        ) from None


class _Credentials:
    """Client credentials and the cached access token."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self.token: str | None = None
        self.valid_until = 0.0

    def current(self) -> str | None:
        return self.token if self.token and time.monotonic() < self.valid_until else None

    def store(self, response: httpx.Response) -> str:
        answer = _model(AccessToken, response)
        if answer.token_type.lower() != "bearer":
            raise DatabrugError("unexpected_answer", "token type is not Bearer", response.status_code)
        self.token = answer.access_token
        self.valid_until = time.monotonic() + max(answer.expires_in - _TOKEN_MARGIN_SECONDS, 0)
        return self.token

    def forget(self) -> None:
        self.token, self.valid_until = None, 0.0


@dataclass(frozen=True)
class SessionRequest:
    """What a session asks for within a purpose template (docs/purposes.md); None: the template's default.

    ``delivery`` "outcome" asks for the broker's signed outcome of the template's rule instead of the data;
    ``outcome`` then holds the rule's ``parameters`` (and, for the Gemeentepolis rule,
    ``declared_children``). ``history``: ``{"wage_months": n, "tax_years": n}``, at most the template's;
    ``documents``: the original files too, where the template and the registration allow them."""

    purpose: str | None = None
    delivery: str | None = None
    outcome: Mapping[str, Any] | None = None
    history: Mapping[str, int] | None = None
    documents: bool | None = None


def _session_body(
    reference: str,
    invitee_email: str | None,
    sources: list[str] | None,
    language: str | None = None,
    partner_expected: bool = False,
    request: SessionRequest | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"reference": reference}
    if request is not None:
        if request.purpose is not None:
            body["purpose"] = request.purpose
        if request.delivery is not None:
            body["delivery"] = request.delivery
        if request.outcome is not None:
            body["outcome"] = dict(request.outcome)
        if request.history is not None:
            body["history"] = dict(request.history)
        if request.documents is not None:
            body["documents"] = request.documents
    if partner_expected:
        body["partner_expected"] = True
    if language is not None:
        body["language"] = language
    if invitee_email is not None:
        body["invitee_email"] = invitee_email
    if sources is not None:
        body["sources"] = sources
    return body


class _Keys:
    def __init__(self, private_jwks: Mapping[str, Any] | None, broker_jwks: Mapping[str, Any] | None) -> None:
        self.private_jwks = private_jwks
        self.broker_jwks = broker_jwks

    def decrypt(self, token: str) -> DataPackage:
        if self.private_jwks is None:
            raise DatabrugError("keys_missing", "the client was made without private_jwks")
        return decrypt_package(token, self.private_jwks)

    def acknowledgement(self, token: str) -> Acknowledgement:
        receipt = verify_deletion_receipt(token, self.broker_jwks) if self.broker_jwks is not None else None
        return Acknowledgement(receipt_token=token, receipt=receipt)


class DatabrugClient:
    """Synchronous client. ``private_jwks`` decrypts packages; ``broker_jwks`` (the broker's published signing
    keys) makes ``acknowledge`` verify the deletion receipt. ``transport`` is for tests (httpx.MockTransport).
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        private_jwks: Mapping[str, Any] | None = None,
        *,
        broker_jwks: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport, headers=_HEADERS)
        self._credentials = _Credentials(client_id, client_secret)
        self._keys = _Keys(private_jwks, broker_jwks)

    def __enter__(self) -> DatabrugClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _token(self) -> str:
        return self._credentials.current() or self._credentials.store(
            self._send("POST", f"{API}/token", data=self._credentials.form)
        )

    def _send(self, method: str, path: str, limit: int = MAX_ANSWER_BYTES, **kwargs: Any) -> httpx.Response:
        answer = _LimitedBody(limit)
        try:
            with self._http.stream(method, path, **kwargs) as response:
                answer.start(response)
                for chunk in response.iter_bytes():
                    answer.add(chunk)
        except httpx.HTTPError as exc:
            raise DatabrugError("broker_unreachable", type(exc).__name__) from None
        return answer.response(response)

    def _call(self, method: str, path: str, limit: int = MAX_ANSWER_BYTES, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self._token()}", **kwargs.pop("headers", {})}
        response = self._send(method, path, limit, headers=headers, **kwargs)
        if response.status_code == 401:
            self._credentials.forget()
            headers["authorization"] = f"Bearer {self._token()}"
            response = self._send(method, path, limit, headers=headers, **kwargs)
        return response

    def create_session(
        self,
        reference: str,
        invitee_email: str | None = None,
        sources: list[str] | None = None,
        *,
        language: str | None = None,
        partner_expected: bool = False,
        purpose: str | None = None,
        delivery: str | None = None,
        outcome: Mapping[str, Any] | None = None,
        history: Mapping[str, int] | None = None,
        documents: bool | None = None,
    ) -> CreatedSession:
        """``language`` ("nl" or "en"): the citizen's, for the broker's pages when the browser has no choice.
        ``partner_expected``: the applicant declared a partner, so the app asks for them even when the
        government data name none. ``purpose``: the published purpose template the session stays within
        (default: the registration's first). ``delivery``: "data" (default) or "outcome" (the broker's signed
        outcome of the template's rule instead of the data); ``outcome``: ``{"parameters": {...},
        "declared_children": n}`` for an outcome session; ``history`` and ``documents``: see
        ``SessionRequest``."""
        request = SessionRequest(purpose, delivery, outcome, history, documents)
        body = _session_body(reference, invitee_email, sources, language, partner_expected, request)
        return _model(CreatedSession, self._call("POST", f"{API}/sessions", json=body))

    def get_session(self, session_id: str) -> SessionStatus:
        return _model(SessionStatus, self._call("GET", _session_path(session_id)))

    def events(self, session_id: str, after: int = 0) -> list[SessionEvent]:
        """Events after sequence number ``after`` (polling)."""
        return _events(self._call("GET", _session_path(session_id, "events"), params={"after": str(after)}))

    def follow_events(self, session_id: str, last_event_id: int | None = None) -> Iterator[SessionEvent]:
        """Events as they happen (SSE), until a final state or the end of the stream; resume by id."""
        headers = {"accept": "text/event-stream"}
        if last_event_id is not None:
            headers["last-event-id"] = str(last_event_id)
        token = self._token()
        try:
            with self._http.stream(
                "GET",
                _session_path(session_id, "events"),
                headers={**headers, "authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(10.0, read=None),
            ) as response:
                _uncompressed(response)
                if response.is_error:
                    error = _LimitedBody(MAX_ANSWER_BYTES)
                    for chunk in response.iter_bytes():
                        error.add(chunk)
                    raise _error_from(error.response(response))
                decoder = SseDecoder()
                for text in response.iter_text():
                    for message in decoder.feed_text(text):
                        event = _event_from_sse(message)
                        if event is not None:
                            yield event
                            if event.is_final:
                                return
        except httpx.HTTPError as exc:
            raise DatabrugError("broker_unreachable", type(exc).__name__) from None

    def cancel(self, session_id: str) -> None:
        response = self._call("POST", _session_path(session_id, "cancel"))
        if response.is_error:
            raise _error_from(response)

    def fetch_package_jwe(self, session_id: str) -> str:
        """The sealed package as the broker holds it (JWE compact)."""
        path = _session_path(session_id, "package")
        return _jwe_text(self._call("GET", path, MAX_JWE_CHARS, headers={"accept": JOSE_MEDIA_TYPE}))

    def fetch_package(self, session_id: str) -> DataPackage:
        """Fetch, decrypt with ``private_jwks`` and validate against the package model."""
        return self._keys.decrypt(self.fetch_package_jwe(session_id))

    def acknowledge(self, session_id: str) -> Acknowledgement:
        """Tell the broker the package is safely stored; it deletes the ciphertext and returns a receipt."""
        response = self._call("POST", _session_path(session_id, "package", "ack"))
        return self._keys.acknowledgement(_receipt_token(response))


class AsyncDatabrugClient:
    """Asynchronous client; the same methods as ``DatabrugClient``, as coroutines / an async iterator."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        private_jwks: Mapping[str, Any] | None = None,
        *,
        broker_jwks: Mapping[str, Any] | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, transport=transport, headers=_HEADERS
        )
        self._credentials = _Credentials(client_id, client_secret)
        self._keys = _Keys(private_jwks, broker_jwks)

    async def __aenter__(self) -> AsyncDatabrugClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _token(self) -> str:
        current = self._credentials.current()
        if current:
            return current
        return self._credentials.store(await self._send("POST", f"{API}/token", data=self._credentials.form))

    async def _send(
        self, method: str, path: str, limit: int = MAX_ANSWER_BYTES, **kwargs: Any
    ) -> httpx.Response:
        answer = _LimitedBody(limit)
        try:
            async with self._http.stream(method, path, **kwargs) as response:
                answer.start(response)
                async for chunk in response.aiter_bytes():
                    answer.add(chunk)
        except httpx.HTTPError as exc:
            raise DatabrugError("broker_unreachable", type(exc).__name__) from None
        return answer.response(response)

    async def _call(
        self, method: str, path: str, limit: int = MAX_ANSWER_BYTES, **kwargs: Any
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {await self._token()}", **kwargs.pop("headers", {})}
        response = await self._send(method, path, limit, headers=headers, **kwargs)
        if response.status_code == 401:
            self._credentials.forget()
            headers["authorization"] = f"Bearer {await self._token()}"
            response = await self._send(method, path, limit, headers=headers, **kwargs)
        return response

    async def create_session(
        self,
        reference: str,
        invitee_email: str | None = None,
        sources: list[str] | None = None,
        *,
        language: str | None = None,
        partner_expected: bool = False,
        purpose: str | None = None,
        delivery: str | None = None,
        outcome: Mapping[str, Any] | None = None,
        history: Mapping[str, int] | None = None,
        documents: bool | None = None,
    ) -> CreatedSession:
        request = SessionRequest(purpose, delivery, outcome, history, documents)
        body = _session_body(reference, invitee_email, sources, language, partner_expected, request)
        return _model(CreatedSession, await self._call("POST", f"{API}/sessions", json=body))

    async def get_session(self, session_id: str) -> SessionStatus:
        return _model(SessionStatus, await self._call("GET", _session_path(session_id)))

    async def events(self, session_id: str, after: int = 0) -> list[SessionEvent]:
        path = _session_path(session_id, "events")
        return _events(await self._call("GET", path, params={"after": str(after)}))

    async def follow_events(
        self, session_id: str, last_event_id: int | None = None
    ) -> AsyncIterator[SessionEvent]:
        headers = {"accept": "text/event-stream"}
        if last_event_id is not None:
            headers["last-event-id"] = str(last_event_id)
        token = await self._token()
        try:
            async with self._http.stream(
                "GET",
                _session_path(session_id, "events"),
                headers={**headers, "authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(10.0, read=None),
            ) as response:
                _uncompressed(response)
                if response.is_error:
                    error = _LimitedBody(MAX_ANSWER_BYTES)
                    async for chunk in response.aiter_bytes():
                        error.add(chunk)
                    raise _error_from(error.response(response))
                decoder = SseDecoder()
                async for text in response.aiter_text():
                    for message in decoder.feed_text(text):
                        event = _event_from_sse(message)
                        if event is not None:
                            yield event
                            if event.is_final:
                                return
        except httpx.HTTPError as exc:
            raise DatabrugError("broker_unreachable", type(exc).__name__) from None

    async def cancel(self, session_id: str) -> None:
        response = await self._call("POST", _session_path(session_id, "cancel"))
        if response.is_error:
            raise _error_from(response)

    async def fetch_package_jwe(self, session_id: str) -> str:
        path = _session_path(session_id, "package")
        return _jwe_text(await self._call("GET", path, MAX_JWE_CHARS, headers={"accept": JOSE_MEDIA_TYPE}))

    async def fetch_package(self, session_id: str) -> DataPackage:
        return self._keys.decrypt(await self.fetch_package_jwe(session_id))

    async def acknowledge(self, session_id: str) -> Acknowledgement:
        response = await self._call("POST", _session_path(session_id, "package", "ack"))
        return self._keys.acknowledgement(_receipt_token(response))
