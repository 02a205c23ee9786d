"""Provider API secrets: generated once, shown once, stored as salted scrypt hashes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import unquote_plus

from databrug.registrations.model import ApiCredential

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_MAX_BASIC_CHARS = 1024  # base64 of a provider id (≤ 63) and a secret (47), with room for escaping


def _hash(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT)
    return base64.b64encode(digest).decode("ascii")


def new_credential() -> tuple[ApiCredential, str]:
    """A new credential and its secret; the secret is returned once and never stored."""
    secret = "dbs_" + secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    credential = ApiCredential(
        id="cred_" + secrets.token_urlsafe(9),
        salt=base64.b64encode(salt).decode("ascii"),
        hash=_hash(secret, salt),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return credential, secret


def verify_secret(credentials: list[ApiCredential], secret: str) -> bool:
    ok = False
    for credential in credentials:
        candidate = _hash(secret, base64.b64decode(credential.salt))
        ok |= secrets.compare_digest(candidate, credential.hash)
    return ok


def read_basic_credentials(encoded: str) -> tuple[str, str] | None:
    """Client id and secret from HTTP Basic credentials as OAuth 2 defines them (RFC 6749 §2.3.1: each one
    form-urlencoded, then base64 of ``id:secret``); ``None`` for anything else, whatever was sent."""
    text = encoded.strip()
    if len(text) > _MAX_BASIC_CHARS or not text.isascii():
        return None
    try:
        client_id, colon, secret = base64.b64decode(text, validate=True).decode("utf-8").partition(":")
        client_id, secret = unquote_plus(client_id, errors="strict"), unquote_plus(secret, errors="strict")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return (client_id, secret) if colon and client_id and secret else None


class RecentlyVerified:
    """A short memory of secrets that passed ``verify_secret``, so a provider asking for tokens often pays
    for scrypt once per ``ttl`` rather than on every call (scrypt costs tens of ms of CPU by design).

    Only successes are remembered, under a keyed digest (a per-process random key; the secret itself is not
    kept), together with the provider's credential hashes at that time: a rotation forgets them. Wrong
    secrets always pay the full scrypt, so guessing stays as slow as before.
    """

    def __init__(
        self, ttl: float = 300.0, limit: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._key = secrets.token_bytes(32)
        self._ttl, self._limit, self._clock = ttl, limit, clock
        self._entries: OrderedDict[bytes, tuple[tuple[str, ...], float]] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, provider_id: str, secret: str) -> bytes:
        message = f"{provider_id}\0{secret}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def knows(self, provider_id: str, credentials: list[ApiCredential], secret: str) -> bool:
        digest = self._digest(provider_id, secret)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return False
            hashes, until = entry
            if until <= self._clock() or hashes != tuple(c.hash for c in credentials):
                del self._entries[digest]
                return False
            return True

    def remember(self, provider_id: str, credentials: list[ApiCredential], secret: str) -> None:
        digest = self._digest(provider_id, secret)
        with self._lock:
            self._entries[digest] = (tuple(c.hash for c in credentials), self._clock() + self._ttl)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._limit:
                self._entries.popitem(last=False)


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
