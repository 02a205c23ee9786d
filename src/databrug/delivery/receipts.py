"""Deletion receipts: proof for the provider that the broker deleted a package's ciphertext.

Decision: a JWS (compact, ES256) under the broker's own signing key, not an HMAC. An HMAC would use a secret
the provider also holds, so the provider could forge "receipts"; a signature under a key only the broker has
is evidence a provider can keep and show to a third party (auditor, DPO). The broker publishes the public key
(JWKS); ``databrug.sdk.receipts.verify_deletion_receipt`` checks a receipt against it.

Payload (canonical JSON): kind, version, session_id, package_id, provider_id, ciphertext_sha256 (hex SHA-256
of the compact JWE the broker held, so the provider can match it to what it fetched), deleted_at, reason
(``acknowledged`` | ``expired`` | ``cancelled``). Header: ``alg`` ES256, ``kid``, ``typ``
``databrug-deletion-receipt+jws``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from databrug.consent import canonical_json
from databrug.delivery.errors import ReceiptInvalid

RECEIPT_ALG = "ES256"
RECEIPT_TYP = "databrug-deletion-receipt+jws"
DeletionReason = Literal["acknowledged", "expired", "cancelled"]


class DeletionReceipt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    kind: Literal["databrug.deletion-receipt"] = "databrug.deletion-receipt"
    version: Literal["1"] = "1"
    session_id: str = Field(min_length=1, max_length=100)
    package_id: str = Field(min_length=1, max_length=100)
    provider_id: str = Field(min_length=1, max_length=64)
    ciphertext_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    deleted_at: datetime
    reason: DeletionReason


def generate_signing_key(kid: str) -> ECKey:
    """A fresh P-256 key for signing receipts; keep the private JWK in the broker's secret config."""
    return ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig", "alg": RECEIPT_ALG})


def public_jwks(*keys: ECKey) -> dict[str, Any]:
    """The JWKS to publish: public parts only (old keys stay listed so old receipts still verify)."""
    return {"keys": [key.as_dict(private=False) for key in keys]}


def sign_receipt(receipt: DeletionReceipt, key: ECKey) -> str:
    header = {"alg": RECEIPT_ALG, "kid": str(key.kid), "typ": RECEIPT_TYP}
    payload = canonical_json(receipt.model_dump(mode="json"))
    return jws.serialize_compact(header, payload, key, algorithms=[RECEIPT_ALG])


def verify_receipt(token: str, jwks: Mapping[str, Any]) -> DeletionReceipt:
    """The receipt if ``token`` is signed by a key in ``jwks``; ``ReceiptInvalid`` otherwise."""
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
        obj = jws.deserialize_compact(token, keys, algorithms=[RECEIPT_ALG])
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ReceiptInvalid("deletion receipt signature does not verify") from exc
    if obj.protected.get("typ") != RECEIPT_TYP:
        raise ReceiptInvalid("not a deletion receipt")
    try:
        return DeletionReceipt.model_validate_json(obj.payload)
    except ValidationError as exc:
        raise ReceiptInvalid("deletion receipt payload is malformed") from exc
