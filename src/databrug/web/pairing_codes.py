"""Short link codes for people whose phone camera does not work: 8 characters typed instead of scanning.

The QR code carries a long pairing token (256 bits) nobody can type. Beside it the computer page shows a short
code from an alphabet without look-alikes (no 0/O, 1/I/L). The code is not a second credential: it only finds
the current pairing token, which the store keeps sealed under a key derived from the code and the broker
secret. So the store holds neither the code nor a usable token, an old code stops working when the QR code
renews (its sealed token is replaced), and the token's own rules (single use, expiry) apply unchanged.

Guessing: 31^8 ≈ 8.5·10^11 codes against one live code per open page for two minutes, behind the pairing rate
limit (30 tries a minute per client).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from databrug.sessions.errors import PairingTokenInvalid, SessionError
from databrug.sessions.sealing import open_sealed, seal
from databrug.sessions.store import SessionStore
from databrug.sessions.tokens import PairingToken, TokenHash, TokenKind

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
_BLOB = "pairing-short-code"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TYPED = re.compile(r"[\s.\-_]")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """As shown to people: two groups of four, easier to read aloud and to type."""
    return f"{code[:4]}-{code[4:]}"


def normalise(typed: str) -> str | None:
    """What a person typed ("abcd efgh", "ABCD-EFGH") as a code; ``None`` if it cannot be one."""
    code = _TYPED.sub("", typed).upper().translate(_LOOKALIKES)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def _derive(secret: bytes, purpose: str, code: str) -> bytes:
    return hmac.new(
        secret, f"databrug short pairing code v1 {purpose}:{code}".encode("ascii"), "sha256"
    ).digest()


def _index_hash(secret: bytes, code: str) -> TokenHash:
    # a different text than any real token's SHA-256, so it can share the pairing index
    return TokenHash(hashlib.sha256(b"short:" + _derive(secret, "index", code)).hexdigest())


async def attach(store: SessionStore, secret: bytes, session_id: str, token: PairingToken) -> str:
    """Give the current pairing token a short code; returns the code (shown once, on the computer page)."""
    code = new_code()
    sealed = seal(_derive(secret, "key", code), session_id, _BLOB, token.reveal().encode("ascii"))
    await store.put_blob(session_id, _BLOB, sealed)
    await store.index_token(TokenKind.PAIRING, _index_hash(secret, code), session_id)
    return code


async def resolve(store: SessionStore, secret: bytes, code: str) -> PairingToken:
    """The pairing token a typed code stands for; ``pairing_token_invalid`` for a code that is not current."""
    session_id = await store.find_by_token(TokenKind.PAIRING, _index_hash(secret, code))
    if session_id is None:
        raise PairingTokenInvalid()
    sealed = await store.get_blob(session_id, _BLOB)
    if sealed is None:
        raise PairingTokenInvalid()
    try:
        token = open_sealed(_derive(secret, "key", code), session_id, _BLOB, sealed)
    except SessionError:
        raise PairingTokenInvalid() from None
    return PairingToken.parse(token.decode("ascii"))
