"""The pick-up window: what the broker holds after sealing, and how it lets go of it (DESIGN §3 rule 5).

After consent the broker holds a ``HeldPackage``: ids, the ciphertext and its digest — nothing it can read.
It ends in one of three ways, each producing a signed deletion receipt and a ``package.deleted`` event:
the provider acknowledges (``acknowledged``), the window ends (``expired``), or the session is cancelled
(``cancelled``). The caller removes the ciphertext from the store *before* handing out the receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc.jwk import ECKey

from databrug.delivery.events import package_deleted
from databrug.delivery.jwe import SealedPackage
from databrug.delivery.receipts import DeletionReason, DeletionReceipt, sign_receipt
from databrug.delivery.webhooks import WebhookEvent

DEFAULT_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class HeldPackage:
    session_id: str
    package_id: str
    provider_id: str
    sealed: SealedPackage
    sealed_at: datetime
    expires_at: datetime

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def hold(
    session_id: str,
    package_id: str,
    provider_id: str,
    sealed: SealedPackage,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
) -> HeldPackage:
    """Start the pick-up window for a sealed package."""
    return HeldPackage(session_id, package_id, provider_id, sealed, now, now + window)


@dataclass(frozen=True)
class Deletion:
    receipt: DeletionReceipt
    token: str  # the signed receipt (JWS compact): give it to the provider
    event: WebhookEvent  # ``package.deleted`` for the provider's webhook


def release(held: HeldPackage, reason: DeletionReason, signing_key: ECKey, now: datetime) -> Deletion:
    """The receipt and the event for deleting ``held``; the caller deletes the ciphertext itself."""
    receipt = DeletionReceipt(
        session_id=held.session_id,
        package_id=held.package_id,
        provider_id=held.provider_id,
        ciphertext_sha256=held.sealed.ciphertext_sha256,
        deleted_at=now,
        reason=reason,
    )
    token = sign_receipt(receipt, signing_key)
    return Deletion(receipt, token, package_deleted(held.session_id, held.package_id, reason, token))
