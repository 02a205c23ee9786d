"""An access token's lifetime is capped when it is read, whatever key signed it (issue 14)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from databrug.registrations.access_tokens import (
    CLOCK_SKEW_SECONDS,
    DEFAULT_TTL_SECONDS,
    TOKEN_PREFIX,
    _b64,
    issue_access_token,
    read_access_token,
)

SECRET = b"t" * 32
TEN_YEARS = 10 * 365 * 24 * 3600


def signed(claims: dict[str, object]) -> str:
    """A token with these claims, correctly signed with the broker secret (as a leaked secret could mint)."""
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = _b64(hmac.new(SECRET, payload.encode("ascii"), hashlib.sha256).digest())
    return f"{TOKEN_PREFIX}{payload}.{signature}"


def test_a_ten_year_token_signed_with_the_broker_secret_is_refused() -> None:
    assert read_access_token(SECRET, issue_access_token(SECRET, "p1", ttl=TEN_YEARS)) is None
    assert read_access_token(SECRET, signed({"p": "p1", "e": int(time.time()) + TEN_YEARS})) is None


def test_a_token_of_the_issued_lifetime_is_accepted() -> None:
    assert read_access_token(SECRET, issue_access_token(SECRET, "p1")) == "p1"
    now = int(time.time())
    assert read_access_token(SECRET, signed({"p": "p1", "i": now, "e": now + DEFAULT_TTL_SECONDS})) == "p1"


def test_a_token_issued_in_the_future_is_refused() -> None:
    later = int(time.time()) + 10 * CLOCK_SKEW_SECONDS
    assert read_access_token(SECRET, signed({"p": "p1", "i": later, "e": later + 60})) is None


def test_a_token_that_claims_a_longer_lifetime_than_issued_is_refused() -> None:
    """Expiring within the cap from now is not enough when it says it was issued for longer."""
    now = int(time.time())
    long_ago = now - 3600
    assert read_access_token(SECRET, signed({"p": "p1", "i": long_ago, "e": now + 60})) is None


def test_a_token_without_an_issue_time_is_held_to_the_expiry_cap() -> None:
    """Tokens minted before the issue time was added stay valid for the rest of their 15 minutes."""
    now = int(time.time())
    assert read_access_token(SECRET, signed({"p": "p1", "e": now + DEFAULT_TTL_SECONDS})) == "p1"
    too_far = now + DEFAULT_TTL_SECONDS + CLOCK_SKEW_SECONDS + 60
    assert read_access_token(SECRET, signed({"p": "p1", "e": too_far})) is None


@pytest.mark.parametrize("issued", ["0", 1.5, True, [1]])
def test_an_issue_time_that_is_not_a_whole_number_is_refused(issued: object) -> None:
    now = int(time.time())
    assert read_access_token(SECRET, signed({"p": "p1", "i": issued, "e": now + 60})) is None


def test_the_cap_is_the_callers() -> None:
    token = issue_access_token(SECRET, "p1", ttl=3600)
    assert read_access_token(SECRET, token) is None
    assert read_access_token(SECRET, token, max_lifetime=3600) == "p1"
