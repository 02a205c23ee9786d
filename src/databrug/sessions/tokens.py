"""Typed random tokens (≥ 256 bits), stored only as SHA-256 hashes and compared in constant time.

| kind      | prefix | held by                          | lifetime                                  |
|-----------|--------|----------------------------------|-------------------------------------------|
| page      | dbp_   | the citizen's browser (link)     | the session                               |
| pairing   | dbq_   | the QR code on the computer page | minutes, single use, refreshed on the page |
| app       | dba_   | the citizen's phone app          | the session, active once the pairing is confirmed |

The session id (``ses_`` + 22 characters, 128 bits) is the provider's public handle, not a client credential.
``str()`` and ``repr()`` of a token never show the secret; call ``reveal()`` where it must leave the process.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum
from typing import ClassVar, NewType, Self

from databrug.sessions.errors import TokenInvalid

TokenHash = NewType("TokenHash", str)
"""Hex SHA-256 of a token's full text (prefix included); the only form a store ever holds."""

SessionId = NewType("SessionId", str)

_TOKEN_BYTES = 32
_BODY = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SESSION_ID = re.compile(r"^ses_[A-Za-z0-9_-]{22}$")


class TokenKind(StrEnum):
    PAGE = "page"
    PAIRING = "pairing"
    APP = "app"


class SecretToken:
    """A bearer token; subclasses fix ``kind`` and ``prefix``."""

    kind: ClassVar[TokenKind]
    prefix: ClassVar[str]
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not value.startswith(self.prefix) or not _BODY.fullmatch(value[len(self.prefix) :]):
            raise TokenInvalid(f"not a well-formed {self.kind.value} token")
        self._value = value

    @classmethod
    def generate(cls) -> Self:
        return cls(cls.prefix + secrets.token_urlsafe(_TOKEN_BYTES))

    @classmethod
    def parse(cls, value: str) -> Self:
        """Check the shape of a token that came from outside (raises ``TokenInvalid``)."""
        return cls(value)

    def reveal(self) -> str:
        """The secret text, for the one place it must go out (URL fragment, cookie, QR)."""
        return self._value

    @property
    def hash(self) -> TokenHash:
        return hash_token(self._value)

    def matches(self, stored: TokenHash | None) -> bool:
        return stored is not None and hmac.compare_digest(self.hash, stored)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.prefix}…)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretToken) or type(other) is not type(self):
            return NotImplemented
        return hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.hash))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("tokens are not picklable")


class PageToken(SecretToken):
    kind = TokenKind.PAGE
    prefix = "dbp_"


class PairingToken(SecretToken):
    kind = TokenKind.PAIRING
    prefix = "dbq_"


class AppToken(SecretToken):
    kind = TokenKind.APP
    prefix = "dba_"


def hash_token(value: str) -> TokenHash:
    return TokenHash(hashlib.sha256(value.encode("ascii")).hexdigest())


def hashes_equal(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a, b)


def new_session_id() -> SessionId:
    return SessionId("ses_" + secrets.token_urlsafe(16))


def parse_session_id(value: str) -> SessionId:
    if not _SESSION_ID.fullmatch(value):
        raise TokenInvalid("not a well-formed session id")
    return SessionId(value)


PAIRING_CODE_DIGITS = 6


def new_pairing_code() -> str:
    return f"{secrets.randbelow(10**PAIRING_CODE_DIGITS):0{PAIRING_CODE_DIGITS}d}"


def hash_pairing_code(code: str, pairing_hash: TokenHash) -> TokenHash:
    """Bind the code to its pairing so a code hash cannot be reused for another pairing."""
    return TokenHash(hashlib.sha256(f"{pairing_hash}:{code}".encode("ascii")).hexdigest())


def normalise_pairing_code(text: str) -> str | None:
    """Accept what a person types ("123 456", "123-456"); ``None`` if it cannot be a code."""
    digits = re.sub(r"[\s-]", "", text)
    if len(digits) != PAIRING_CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits
