from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from databrug.delivery.jwe import seal_package
from databrug.delivery.pickup import hold, release
from databrug.delivery.receipts import generate_signing_key, public_jwks
from databrug.records import DataPackage
from databrug.sdk import generate_provider_keys, verify_deletion_receipt

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_window_defaults_to_24_hours_and_expires(package: DataPackage) -> None:
    sealed = seal_package(package, generate_provider_keys().public_jwks)
    held = hold("ses_1", package.package_id, package.provider.id, sealed, NOW)
    assert held.expires_at - held.sealed_at == timedelta(hours=24)
    assert not held.is_expired(NOW + timedelta(hours=23, minutes=59))
    assert held.is_expired(NOW + timedelta(hours=24))
    short = hold("ses_1", package.package_id, package.provider.id, sealed, NOW, timedelta(minutes=5))
    assert short.is_expired(NOW + timedelta(minutes=5))


@pytest.mark.parametrize("reason", ["acknowledged", "expired", "cancelled"])
def test_release_gives_a_receipt_the_provider_can_verify_and_an_event(
    package: DataPackage, reason: str
) -> None:
    sealed = seal_package(package, generate_provider_keys().public_jwks)
    held = hold("ses_1", package.package_id, package.provider.id, sealed, NOW)
    key = generate_signing_key("broker-1")
    deletion = release(held, reason, key, NOW + timedelta(hours=1))  # type: ignore[arg-type]
    receipt = verify_deletion_receipt(deletion.token, public_jwks(key))
    assert receipt.reason == reason
    assert receipt.ciphertext_sha256 == hashlib.sha256(sealed.compact.encode()).hexdigest()
    assert receipt.package_id == package.package_id
    event = json.loads(deletion.event.body())
    assert event["type"] == "package.deleted"
    assert event["data"] == {
        "session_id": "ses_1",
        "package_id": package.package_id,
        "reason": reason,
        "receipt": deletion.token,
    }


def test_the_held_package_contains_no_plaintext(package: DataPackage) -> None:
    sealed = seal_package(package, generate_provider_keys().public_jwks)
    held = hold("ses_1", package.package_id, package.provider.id, sealed, NOW)
    text = repr(held)
    assert package.subjects[0].person is not None
    assert package.subjects[0].person.bsn not in text
    assert package.subjects[0].person.name.surname not in text
