"""OAuth2 client-credentials access tokens for the provider API.

Stateless and HMAC-signed with the broker secret, so any broker process behind the load balancer can check a
token without a shared store. Short-lived (15 minutes); they carry only the provider id and the expiry.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import time

TOKEN_PREFIX = "dbt_"  # noqa: S105 - a marker, not a secret
DEFAULT_TTL_SECONDS = 900
# A provider id is at most 63 characters, so a real token is under 200; anything else is refused before the
# HMAC (which wants ASCII) and before the cache (which would otherwise keep whatever a caller sent).
_WELL_FORMED = re.compile(r"dbt_[A-Za-z0-9_-]{1,300}\.[A-Za-z0-9_-]{43}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_access_token(secret: bytes, provider_id: str, ttl: int = DEFAULT_TTL_SECONDS) -> str:
    payload = _b64(
        json.dumps({"p": provider_id, "e": int(time.time()) + ttl}, separators=(",", ":")).encode()
    )
    signature = _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())
    return f"{TOKEN_PREFIX}{payload}.{signature}"


def read_access_token(secret: bytes, token: str) -> str | None:
    """The provider id of a valid, unexpired token; None for anything else (any text, any length)."""
    if not _WELL_FORMED.fullmatch(token):
        return None
    checked = _checked_claims(secret, token)
    if checked is None or checked[1] < time.time():
        return None
    return checked[0]


@functools.lru_cache(maxsize=1024)
def _checked_claims(secret: bytes, token: str) -> tuple[str, int] | None:
    """Provider id and expiry of a correctly signed token. Cached: a provider sends the same token with every
    request for 15 minutes, and the HMAC and JSON decoding were a visible share of a status read's CPU.
    Only the signature check is cached; the expiry is compared with the clock on every call."""
    payload, signature = token[len(TOKEN_PREFIX) :].split(".")
    expected = _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        claims = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("e"), int):
        return None
    provider = claims.get("p")
    return (provider, claims["e"]) if isinstance(provider, str) else None
