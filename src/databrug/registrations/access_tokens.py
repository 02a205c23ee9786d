"""OAuth2 client-credentials access tokens for the provider API.

Stateless and HMAC-signed with the broker secret, so any broker process behind the load balancer can check a
token without a shared store. Short-lived (15 minutes); they carry only the provider id, the issue time and
the expiry. A token is refused whose lifetime is longer than that, whatever key signed it (a leaked broker
secret must not mint a token that outlives its rotation by years).
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
CLOCK_SKEW_SECONDS = 30
"""Brokers' clocks may differ by this much (a token issued by one is checked by another)."""
# A provider id is at most 63 characters, so a real token is under 200; anything else is refused before the
# HMAC (which wants ASCII) and before the cache (which would otherwise keep whatever a caller sent).
_WELL_FORMED = re.compile(r"dbt_[A-Za-z0-9_-]{1,300}\.[A-Za-z0-9_-]{43}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_access_token(secret: bytes, provider_id: str, ttl: int = DEFAULT_TTL_SECONDS) -> str:
    now = int(time.time())
    payload = _b64(json.dumps({"p": provider_id, "i": now, "e": now + ttl}, separators=(",", ":")).encode())
    signature = _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())
    return f"{TOKEN_PREFIX}{payload}.{signature}"


def read_access_token(secret: bytes, token: str, max_lifetime: int = DEFAULT_TTL_SECONDS) -> str | None:
    """The provider id of a valid, unexpired token; None for anything else (any text, any length).

    Refused as well: a token that expires later than ``max_lifetime`` from now, that was issued in the
    future, or that claims a longer lifetime than ``max_lifetime`` (with ``CLOCK_SKEW_SECONDS`` of grace).
    A token without an issue time (from a broker before 14) is held to the expiry cap alone."""
    if not _WELL_FORMED.fullmatch(token):
        return None
    checked = _checked_claims(secret, token)
    if checked is None:
        return None
    provider, issued, expires = checked
    now = time.time()
    if expires < now or expires > now + max_lifetime + CLOCK_SKEW_SECONDS:
        return None
    if issued is not None and (issued > now + CLOCK_SKEW_SECONDS or expires - issued > max_lifetime):
        return None
    return provider


@functools.lru_cache(maxsize=1024)
def _checked_claims(secret: bytes, token: str) -> tuple[str, int | None, int] | None:
    """Provider id, issue time and expiry of a correctly signed token. Cached: a provider sends the same
    token with every request for 15 minutes, and the HMAC and JSON decoding were a visible share of a status
    read's CPU.
    Only the signature check is cached; the times are compared with the clock on every call."""
    payload, signature = token[len(TOKEN_PREFIX) :].split(".")
    expected = _b64(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        return None
    try:
        claims = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict) or not _is_time(claims.get("e")):
        return None
    issued = claims.get("i")
    if issued is not None and not _is_time(issued):
        return None
    provider = claims.get("p")
    return (provider, issued, claims["e"]) if isinstance(provider, str) else None


def _is_time(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
