from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from databrug.delivery.errors import ReceiptInvalid
from databrug.delivery.receipts import (
    DeletionReceipt,
    generate_signing_key,
    public_jwks,
    sign_receipt,
    verify_receipt,
)
from databrug.sdk import ReceiptError, verify_deletion_receipt

RECEIPT = DeletionReceipt(
    session_id="ses_abc",
    package_id="pkg_0123456789abcdefXYZ",
    provider_id="gezondverzekerd",
    ciphertext_sha256="a" * 64,
    deleted_at=datetime(2026, 11, 28, 13, 0, tzinfo=UTC),
    reason="acknowledged",
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_receipt_verifies_on_both_sides() -> None:
    key = generate_signing_key("broker-2026")
    token = sign_receipt(RECEIPT, key)
    assert verify_receipt(token, public_jwks(key)) == RECEIPT
    from_sdk = verify_deletion_receipt(token, public_jwks(key))
    assert from_sdk.model_dump() == RECEIPT.model_dump()


@pytest.mark.parametrize("field", ["reason", "ciphertext_sha256", "package_id"])
def test_tampered_receipt_fails(field: str) -> None:
    key = generate_signing_key("broker-2026")
    header, payload, sig = sign_receipt(RECEIPT, key).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims[field] = {
        "reason": "expired",
        "ciphertext_sha256": "b" * 64,
        "package_id": "pkg_other_0000000000",
    }[field]
    forged = ".".join([header, _b64(json.dumps(claims).encode()), sig])
    with pytest.raises(ReceiptInvalid):
        verify_receipt(forged, public_jwks(key))
    with pytest.raises(ReceiptError):
        verify_deletion_receipt(forged, public_jwks(key))


def test_receipt_from_another_key_fails_old_keys_still_verify() -> None:
    old, new, stranger = (generate_signing_key(k) for k in ("2025", "2026", "2026"))
    token = sign_receipt(RECEIPT, old)
    assert verify_receipt(token, public_jwks(new, old)) == RECEIPT
    with pytest.raises(ReceiptInvalid):
        verify_receipt(sign_receipt(RECEIPT, stranger), public_jwks(new))


def test_a_jws_that_is_not_a_receipt_fails() -> None:
    from joserfc import jws

    key = generate_signing_key("broker")
    other = jws.serialize_compact({"alg": "ES256", "kid": "broker"}, RECEIPT.model_dump_json(), key)
    with pytest.raises(ReceiptInvalid, match="not a deletion receipt"):
        verify_receipt(other, public_jwks(key))
    with pytest.raises(ReceiptError):
        verify_deletion_receipt(other, public_jwks(key))
