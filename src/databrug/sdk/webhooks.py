"""Verify webhooks from the broker (Standard Webhooks, https://www.standardwebhooks.com/).

The broker signs ``"{webhook-id}.{webhook-timestamp}.{body}"`` with HMAC-SHA256 under each live secret
(``whsec_<base64>``) and sends ``webhook-signature: v1,<base64> [v1,<base64> ...]``. ``verify_webhook``
accepts a message when any signature matches any of your secrets (so rotation works from either side), the
timestamp is within ``tolerance`` of now (replay of old captures), and — with a ``ReplayCache`` — the id was
not seen before within the tolerance window.

Pass the raw request body, exactly as received: re-serialised JSON will not verify. Whatever arrives, the
answer is the event or a ``WebhookVerificationError``: a body over ``max_bytes`` is refused before its
signature is computed, oversized or garbled headers before anything else, and the body is parsed as strict
UTF-8 JSON with bounded nesting (a repeated key keeps its last value, as in the broker's own JSON).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from databrug.sdk.errors import WebhookReplayed, WebhookVerificationError

DEFAULT_TOLERANCE = 300
MAX_WEBHOOK_BYTES = 64 * 1024
"""The broker's events are a few hundred bytes (a deletion receipt included)."""
_PREFIX = "whsec_"
_MAX_HEADER_CHARS = 4096  # room for a few dozen signatures during a rotation
_WEBHOOK_ID = re.compile(r"[\x21-\x7e]{1,256}")  # printable ASCII, as the broker's msg_… ids
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class WebhookEvent(BaseModel):
    """A verified event. ``data`` holds ids, states and counts — never personal data."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    type: str
    timestamp: datetime
    data: dict[str, Any] = Field(default_factory=dict)


class ReplayCache(Protocol):
    def seen(self, webhook_id: str, now: float, ttl: float) -> bool:
        """Record ``webhook_id``; True when it was already recorded and not yet expired."""
        ...


class MemoryReplayCache:
    """A bounded in-process ``ReplayCache``. With several provider processes, use a shared store instead."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._max = max_entries

    def seen(self, webhook_id: str, now: float, ttl: float) -> bool:
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)
        if webhook_id in self._expiry:
            return True
        self._expiry[webhook_id] = now + ttl
        if len(self._expiry) > self._max:
            self._expiry.popitem(last=False)
        return False

    def forget(self, webhook_id: str) -> None:
        """Call when handling a verified event failed, so the broker's retry is accepted."""
        self._expiry.pop(webhook_id, None)


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("webhook_secret_invalid", "secret is not whsec_<base64>") from None


def _expected(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            if not isinstance(value, str) or len(value) > _MAX_HEADER_CHARS:
                raise WebhookVerificationError("webhook_header_invalid", f"header {name} is not a short text")
            return value
    raise WebhookVerificationError("webhook_header_missing", f"missing header {name}")


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secrets: str | Sequence[str],
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    replay_cache: ReplayCache | None = None,
    now: float | None = None,
    max_bytes: int = MAX_WEBHOOK_BYTES,
) -> WebhookEvent:
    """The event in ``body`` if it is signed by the broker and fresh; ``WebhookVerificationError`` if not.

    Raises ``WebhookReplayed`` (a subclass) for a correctly signed message whose id the cache has seen:
    answer it 2xx so the broker stops retrying, but do not act on it again.
    """
    if len(body) > max_bytes:
        raise WebhookVerificationError("webhook_body_too_large", f"body is over {max_bytes} bytes")
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not _WEBHOOK_ID.fullmatch(webhook_id):
        raise WebhookVerificationError("webhook_header_invalid", "webhook-id is not 1-256 printable ASCII")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise WebhookVerificationError("webhook_timestamp_invalid", "timestamp is not Unix seconds")
    current = time.time() if now is None else now
    sent_at = int(timestamp)
    if sent_at < current - tolerance:
        raise WebhookVerificationError("webhook_timestamp_too_old", "timestamp is outside the tolerance")
    if sent_at > current + tolerance:
        raise WebhookVerificationError("webhook_timestamp_in_future", "timestamp is outside the tolerance")

    candidates = []
    for item in signatures.split(" "):
        version, _, value = item.partition(",")
        if version == "v1" and value:
            try:
                candidates.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                continue
    keys = [_key(s) for s in ([secrets] if isinstance(secrets, str) else secrets)]
    if not keys:
        raise WebhookVerificationError("webhook_secret_invalid", "no secret to verify with")
    expected = [_expected(k, webhook_id, timestamp, body) for k in keys]
    if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
        raise WebhookVerificationError("webhook_signature_invalid", "no signature matches")

    if replay_cache is not None and replay_cache.seen(webhook_id, current, 2 * tolerance):
        raise WebhookReplayed()
    try:
        payload = pydantic_core.from_json(body)  # strict UTF-8, nesting bounded (no RecursionError)
        if not isinstance(payload, dict):
            raise TypeError("not an object")
        return WebhookEvent.model_validate({**payload, "id": webhook_id})
    except (ValueError, TypeError, ValidationError):
        raise WebhookVerificationError("webhook_body_invalid", "body is not a webhook event") from None
