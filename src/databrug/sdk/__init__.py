"""Databrug provider SDK: create sessions, follow them, verify webhooks, fetch and decrypt packages.

Usable by any Python provider on its own: it needs ``httpx``, ``joserfc``, ``pydantic`` and the package model
(``databrug.records``), nothing else of Databrug. Typed (``py.typed``). ``DatabrugClient`` is synchronous,
``AsyncDatabrugClient`` the same API for asyncio.

A provider's integration, start to finish::

    from databrug.sdk import DatabrugClient, DatabrugError, generate_provider_keys, verify_webhook

    keys = generate_provider_keys()            # once; register keys.public_jwks with the broker
    client = DatabrugClient("https://databrug.example", CLIENT_ID, CLIENT_SECRET,
                            private_jwks=keys.private_jwks, broker_jwks=BROKER_JWKS)

    # 1. The citizen applies on your site: start a session and send them to its URL.
    session = client.create_session(reference="APP-2026-0042", invitee_email="burger@example.nl")
    redirect_to(session.citizen_url)

    # 2. Your webhook endpoint (raw body, all headers):
    def on_webhook(headers, body):
        event = verify_webhook(headers, body, WEBHOOK_SECRETS, replay_cache=CACHE)   # raises if forged/stale
        if event.type == "package.ready":
            package = client.fetch_package(event.data["session_id"])   # decrypted + validated DataPackage
            verify_consents(package)                                   # each subject consented to this data
            store_case(package)                                        # your storage first ...
            ack = client.acknowledge(event.data["session_id"])         # ... then the broker deletes it
            store_receipt(ack.receipt_token)                           # signed proof of deletion
        return 204

Prefer pulling? ``client.events(session_id, after=n)`` (polling) or ``client.follow_events(session_id)``
(SSE) give the same events. Every failure raises ``DatabrugError`` (``code``, ``message``, ``status``).
See ``docs/sdk.md`` for the API shapes and key rotation.
"""

from databrug.sdk.client import Acknowledgement, AsyncDatabrugClient, DatabrugClient
from databrug.sdk.consents import verify_consents
from databrug.sdk.crypto import (
    ProviderKeys,
    decrypt_package,
    decrypt_package_bytes,
    generate_provider_keys,
    merge_jwks,
)
from databrug.sdk.erasure import (
    ErasureConfirmation,
    ErasureError,
    ErasureSigningKeys,
    erasure_token_matches,
    generate_erasure_signing_keys,
    sign_erasure_confirmation,
    verify_erasure_confirmation,
)
from databrug.sdk.errors import (
    DatabrugError,
    PackageError,
    ReceiptError,
    WebhookReplayed,
    WebhookVerificationError,
)
from databrug.sdk.models import CreatedSession, SessionEvent, SessionStatus
from databrug.sdk.outcome import OutcomeError, outcome_inputs_match, verify_outcome
from databrug.sdk.receipts import RECEIPT_KEYS_PATH, DeletionReceipt, verify_deletion_receipt
from databrug.sdk.webhooks import MemoryReplayCache, ReplayCache, WebhookEvent, verify_webhook

__all__ = [
    "RECEIPT_KEYS_PATH",
    "Acknowledgement",
    "AsyncDatabrugClient",
    "CreatedSession",
    "DatabrugClient",
    "DatabrugError",
    "DeletionReceipt",
    "ErasureConfirmation",
    "ErasureError",
    "ErasureSigningKeys",
    "MemoryReplayCache",
    "OutcomeError",
    "PackageError",
    "ProviderKeys",
    "ReceiptError",
    "ReplayCache",
    "SessionEvent",
    "SessionStatus",
    "WebhookEvent",
    "WebhookReplayed",
    "WebhookVerificationError",
    "decrypt_package",
    "decrypt_package_bytes",
    "erasure_token_matches",
    "generate_erasure_signing_keys",
    "generate_provider_keys",
    "merge_jwks",
    "outcome_inputs_match",
    "sign_erasure_confirmation",
    "verify_consents",
    "verify_deletion_receipt",
    "verify_erasure_confirmation",
    "verify_outcome",
    "verify_webhook",
]
