"""Check a deletion receipt: the broker's ES256-signed proof that it deleted a package's ciphertext.

Verify it against the broker's published signing keys (JWKS) and keep the token: it is evidence you can show
a third party, because only the broker holds the signing key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from databrug.sdk.errors import ReceiptError

RECEIPT_ALG = "ES256"
RECEIPT_TYP = "databrug-deletion-receipt+jws"
MAX_RECEIPT_CHARS = 16 * 1024  # a receipt is well under 1 KiB


class DeletionReceipt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["databrug.deletion-receipt"]
    version: Literal["1"]
    session_id: str
    package_id: str
    provider_id: str
    ciphertext_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    deleted_at: datetime
    reason: Literal["acknowledged", "expired", "cancelled"]


def verify_deletion_receipt(token: str, broker_jwks: Mapping[str, Any]) -> DeletionReceipt:
    """The receipt if ``token`` is signed by one of ``broker_jwks``; ``ReceiptError`` otherwise."""
    if not isinstance(token, str) or len(token) > MAX_RECEIPT_CHARS:
        raise ReceiptError(f"a deletion receipt is a text of at most {MAX_RECEIPT_CHARS} characters")
    try:
        keys = KeySet.import_key_set(dict(broker_jwks))  # type: ignore[arg-type]
        obj = jws.deserialize_compact(token, keys, algorithms=[RECEIPT_ALG])
    except (JoseError, ValueError, TypeError, KeyError, RecursionError) as exc:  # deep JSON in the header
        raise ReceiptError("signature does not verify with the broker's keys") from exc
    if obj.protected.get("typ") != RECEIPT_TYP:
        raise ReceiptError("not a deletion receipt")
    try:
        return DeletionReceipt.model_validate_json(obj.payload)
    except ValidationError as exc:
        raise ReceiptError("receipt payload is malformed") from exc
