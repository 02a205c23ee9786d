"""The compact JWS tokens the SDK verifies (deletion receipts, outcomes, erasure confirmations): one place for
the key set, the one algorithm, the ``typ`` that keeps one kind of token from passing for another, and every
error a hostile token can raise (deeply nested JSON in the header raises ``RecursionError``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet


class UnverifiedToken(Exception):
    """``signature``: no key of the set verifies it (or it is no JWS at all); ``type``: another kind."""

    def __init__(self, reason: Literal["signature", "type"]) -> None:
        super().__init__(reason)
        self.reason = reason


def verified_payload(token: str, jwks: Mapping[str, Any], *, alg: str, typ: str) -> bytes:
    """The payload of ``token`` when a key of ``jwks`` verifies it with ``alg`` and its ``typ`` is ``typ``."""
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        signed = jws.deserialize_compact(token, keys, algorithms=[alg])
    except (JoseError, ValueError, TypeError, KeyError, RecursionError) as exc:
        raise UnverifiedToken("signature") from exc
    if signed.protected.get("typ") != typ:
        raise UnverifiedToken("type")
    return signed.payload
