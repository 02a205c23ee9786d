"""Collected data at rest: AES-256-GCM under a per-session key the store never holds (docs/design.md §3.3).

The key is made for the citizen's app (kept e.g. in an HttpOnly cookie) and comes with each app request.
The associated data binds a blob to its session id and name, so a blob moved to another session or name,
or opened with another key, fails with ``sealed_data_invalid``.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NewType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from databrug.sessions.errors import SealedDataInvalid, SessionKeyInvalid

SealedBytes = NewType("SealedBytes", bytes)
"""Ciphertext a store may hold. Only ``seal`` (or a deliberate wrap of an already encrypted JWE) makes one."""

KEY_BYTES = 32
_KEY_TEXT = re.compile(r"[A-Za-z0-9_-]{43}")  # a 32-byte key as unpadded URL-safe base64, nothing else
_NONCE_BYTES = 12
_FORMAT = b"\x01"

DecryptPasses = Counter[tuple[str, str]]
"""Decrypt passes by (session id, blob name): ids and names only, never what a blob holds."""
_counting: ContextVar[DecryptPasses | None] = ContextVar("databrug_decrypt_passes", default=None)


@contextmanager
def counting_decrypts() -> Iterator[DecryptPasses]:
    """Counts every ``open_sealed`` in this context, and in tasks started from it, for the bench's
    decrypt-pass figure (``bench/journeys.py``). Outside it ``open_sealed`` counts nothing."""
    passes: DecryptPasses = Counter()
    token = _counting.set(passes)
    try:
        yield passes
    finally:
        _counting.reset(token)


def new_session_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def encode_session_key(key: bytes) -> str:
    """URL-safe text for a cookie."""
    _check_key(key)
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


def decode_session_key(text: str) -> bytes:
    """The key ``encode_session_key`` wrote; ``SessionKeyInvalid`` for any other text (the decoder alone would
    skip characters outside the alphabet and accept extra padding)."""
    if not _KEY_TEXT.fullmatch(text):
        raise SessionKeyInvalid()
    return base64.urlsafe_b64decode(text + "=")


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise SessionKeyInvalid()


def _aad(session_id: str, name: str) -> bytes:
    return b"databrug-sealed-v1\x00" + session_id.encode() + b"\x00" + name.encode()


def seal(key: bytes, session_id: str, name: str, plaintext: bytes) -> SealedBytes:
    _check_key(key)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return SealedBytes(_FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, _aad(session_id, name)))


def open_sealed(key: bytes, session_id: str, name: str, sealed: bytes) -> bytes:
    _check_key(key)
    if len(sealed) < 1 + _NONCE_BYTES + 16 or sealed[:1] != _FORMAT:
        raise SealedDataInvalid()
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    passes = _counting.get()
    if passes is not None:
        passes[(session_id, name)] += 1
    try:
        return AESGCM(key).decrypt(nonce, body, _aad(session_id, name))
    except InvalidTag:
        raise SealedDataInvalid() from None
