"""Erasure on the citizen's request: match the erasure code, sign the confirmation, verify one.

The broker gives the citizen an erasure code (``era_…``) in the consent receipt and puts only its SHA-256 in
the package (``DataPackage.erasure.token_sha256``, with the retention you committed to). When someone shows
you a code that matches a stored package (``erasure_token_matches``), erase the case and its packages, and
answer with an ``ErasureConfirmation`` signed with your own ES256 key (``sign_erasure_confirmation``): the
citizen keeps it as proof. Publish the public half of that key (``ErasureSigningKeys.public_jwks``) so anyone
can check a confirmation (``verify_erasure_confirmation``). See docs/sdk.md, "Erasure".
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from databrug.records import DataPackage
from databrug.sdk.errors import DatabrugError
from databrug.sdk.signed import UnverifiedToken, verified_payload

ERASURE_ALG = "ES256"
ERASURE_TYP = "databrug-erasure+jwt"
MAX_ERASURE_TOKEN_CHARS = 100
"""A code is ``era_`` and 32 characters; anything much longer is not one (and is not hashed)."""
MAX_CONFIRMATION_CHARS = 16 * 1024  # a confirmation is well under 2 KiB

ErasedPart = Literal["case", "packages", "advice", "outcome", "decision", "contact_details"]


class ErasureError(DatabrugError):
    """An erasure confirmation whose signature or content does not check out, or unusable signing keys."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


class ErasureConfirmation(BaseModel):
    """The provider's signed statement that it erased a case on the citizen's request. Ids, codes, a time and
    the code's SHA-256: nothing personal, so the citizen can show it to anyone."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    kind: Literal["databrug.erasure-confirmation"] = "databrug.erasure-confirmation"
    version: Literal["1"] = "1"
    provider_id: str = Field(min_length=1, max_length=100)
    provider_reference: str = Field(min_length=1, max_length=200, description="The erased case's id")
    package_ids: list[Annotated[str, Field(pattern=r"^pkg_[0-9A-Za-z_-]{16,64}$")]] = Field(max_length=50)
    token_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="SHA-256 (hex) of the erasure code that was shown: ties the confirmation to the receipt"
    )
    deleted_at: datetime
    deleted: list[ErasedPart] = Field(min_length=1, description="What was erased")


@dataclass(frozen=True)
class ErasureSigningKeys:
    """An ES256 key pair as JWKS: keep ``private_jwks`` secret, publish ``public_jwks``."""

    kid: str
    private_jwks: dict[str, Any]
    public_jwks: dict[str, Any]


def generate_erasure_signing_keys(kid: str | None = None) -> ErasureSigningKeys:
    """A fresh P-256 signing key (``use`` sig, ``alg`` ES256, ``iat`` now) with a random ``kid``."""
    key_id = kid or f"erasure-{secrets.token_hex(8)}"
    parameters: Any = {"kid": key_id, "use": "sig", "alg": ERASURE_ALG, "iat": int(time.time())}
    key = ECKey.generate_key("P-256", parameters=parameters)
    return ErasureSigningKeys(
        kid=key_id,
        private_jwks={"keys": [key.as_dict(private=True)]},
        public_jwks={"keys": [key.as_dict(private=False)]},
    )


def public_signing_jwks(private_jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The public half of signing keys (``d`` dropped), to publish."""
    keys = [{k: v for k, v in key.items() if k != "d"} for key in private_jwks.get("keys", [])]
    return {"keys": keys}


def erasure_token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def erasure_token_matches(package: DataPackage, token: str) -> bool:
    """Whether ``token`` is the erasure code of ``package`` (constant-time over the SHA-256 hex)."""
    if package.erasure is None or not isinstance(token, str) or len(token) > MAX_ERASURE_TOKEN_CHARS:
        return False
    return hmac.compare_digest(erasure_token_sha256(token.strip()), package.erasure.token_sha256)


def _signing_key(private_jwk: Mapping[str, Any]) -> ECKey:
    """The key of a JWK, or the newest (by ``iat``) of a JWKS."""
    candidates = private_jwk.get("keys") if "keys" in private_jwk else [private_jwk]
    if not isinstance(candidates, list) or not candidates:
        raise ErasureError("keys_invalid", "no signing key")
    newest = max(candidates, key=lambda key: int(key.get("iat", 0)) if isinstance(key, dict) else 0)
    try:
        key = ECKey.import_key(dict(newest))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ErasureError("keys_invalid", "the signing key could not be read") from exc
    if not key.is_private or key.curve_name != "P-256":
        raise ErasureError("keys_invalid", "an erasure confirmation is signed with a private P-256 key")
    return key


def sign_erasure_confirmation(confirmation: ErasureConfirmation, private_jwk: Mapping[str, Any]) -> str:
    """A compact JWS (ES256, ``typ`` databrug-erasure+jwt, ``kid`` of the key) of the confirmation."""
    key = _signing_key(private_jwk)
    header = {"alg": ERASURE_ALG, "kid": str(key.kid), "typ": ERASURE_TYP}
    payload = confirmation.model_dump_json().encode("utf-8")
    return jws.serialize_compact(header, payload, key, algorithms=[ERASURE_ALG])


def verify_erasure_confirmation(token: str, provider_jwks: Mapping[str, Any]) -> ErasureConfirmation:
    """The confirmation if ``token`` is signed by one of ``provider_jwks``; ``ErasureError`` otherwise."""
    if not isinstance(token, str) or len(token) > MAX_CONFIRMATION_CHARS:
        raise ErasureError(
            "confirmation_invalid", f"a confirmation is a text of at most {MAX_CONFIRMATION_CHARS} characters"
        )
    try:
        payload = verified_payload(token.strip(), provider_jwks, alg=ERASURE_ALG, typ=ERASURE_TYP)
    except UnverifiedToken as exc:
        raise ErasureError(
            "confirmation_invalid",
            "signature does not verify with the provider's keys"
            if exc.reason == "signature"
            else "not an erasure confirmation",
        ) from exc
    try:
        return ErasureConfirmation.model_validate_json(payload)
    except ValidationError as exc:
        raise ErasureError("confirmation_invalid", "confirmation payload is malformed") from exc
