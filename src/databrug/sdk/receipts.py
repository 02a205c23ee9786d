"""Check a deletion receipt: the broker's ES256-signed proof that it deleted a package's ciphertext.

Verify it against the broker's published signing keys (JWKS) and keep the token: it is evidence you can show
a third party, because only the broker holds the signing key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from databrug.sdk.errors import ReceiptError
from databrug.sdk.signed import UnverifiedToken, verified_payload

RECEIPT_KEYS_PATH = "/.well-known/databrug-receipt-keys.json"
"""Where the broker publishes the keys that sign deletion receipts and outcomes (relative to its URL)."""
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
        payload = verified_payload(token, broker_jwks, alg=RECEIPT_ALG, typ=RECEIPT_TYP)
    except UnverifiedToken as exc:
        raise ReceiptError(
            "signature does not verify with the broker's keys"
            if exc.reason == "signature"
            else "not a deletion receipt"
        ) from exc
    try:
        return DeletionReceipt.model_validate_json(payload)
    except ValidationError as exc:
        raise ReceiptError("receipt payload is malformed") from exc
