"""The delivery events sent to the provider's webhook (and its event stream). Ids and times only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from databrug.delivery.jwe import SealedPackage
from databrug.delivery.webhooks import WebhookEvent

PACKAGE_READY = "package.ready"
PACKAGE_DELETED = "package.deleted"


def package_ready(
    session_id: str,
    package_id: str,
    sealed: SealedPackage,
    pickup_url: str,
    expires_at: datetime,
    sequence: int = 0,
) -> WebhookEvent:
    """The package is sealed and waits at ``pickup_url`` until ``expires_at``. ``sequence``: the session's
    event sequence of its delivery; the event goes out after that step's, before the next."""
    return WebhookEvent(
        type=PACKAGE_READY,
        order_key=session_id,
        order=sequence + 0.5,
        id=f"msg_{package_id}_ready",  # one ready event per package, whatever retries the broker does
        data={
            "session_id": session_id,
            "package_id": package_id,
            "pickup_url": pickup_url,
            "expires_at": expires_at.isoformat(),
            "kid": sealed.kid,
            "ciphertext_sha256": sealed.ciphertext_sha256,
            "size": sealed.size,
        },
    )


def package_deleted(
    session_id: str, package_id: str, reason: str, receipt: str, sequence: int = 0
) -> WebhookEvent:
    """The ciphertext is gone (acknowledged, expired or cancelled); ``receipt`` is the signed JWS.
    ``sequence``: the session's event sequence of the step that ended it; the event goes out after that."""
    return WebhookEvent(
        type=PACKAGE_DELETED,
        order_key=session_id,
        order=sequence + 0.5,
        id=f"msg_{package_id}_deleted",
        data={"session_id": session_id, "package_id": package_id, "reason": reason, "receipt": receipt},
    )


def session_event(
    session_id: str,
    sequence: int,
    event_type: str,
    state: str,
    at: datetime,
    counts: Mapping[str, int] | None = None,
    extra: Mapping[str, str | None] | None = None,
) -> WebhookEvent:
    """A session step (``session.paired``, ``source.completed``, …) for the webhook, mirroring the event
    stream. The id is derived from the session's event sequence, so every broker process that enqueues the
    same step produces the same id and the outbox keeps one delivery. ``extra`` adds the event's ids and
    codes (``subject``, ``source``, ``code``); ``None`` values are left out.
    """
    data: dict[str, object] = {key: value for key, value in (extra or {}).items() if value is not None}
    data.update(session_id=session_id, sequence=sequence, state=state, counts=dict(counts or {}))
    return WebhookEvent(
        type=event_type,
        id=f"msg_{session_id}_{sequence}",
        timestamp=at,
        data=data,
        order_key=session_id,
        order=float(sequence),
    )
