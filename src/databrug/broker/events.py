"""Forwarding session events: every event this process emits also goes to the provider's webhook (ids and
counts only), and a session that ends with a package still held announces its deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from databrug.broker.handover import DeletionAnnouncer
from databrug.delivery.events import session_event
from databrug.delivery.webhooks import WebhookSender
from databrug.registrations.store import ProviderRegistry
from databrug.sessions.events import SessionEvent
from databrug.sessions.model import SessionRecord


class SessionEventForwarder:
    """The session service's ``on_event``: built with what it needs before the service exists."""

    def __init__(
        self, registry: ProviderRegistry, webhooks: WebhookSender, announce_deletion: DeletionAnnouncer
    ) -> None:
        self._registry = registry
        self._webhooks = webhooks
        self._announce_deletion = announce_deletion

    async def __call__(self, record: SessionRecord, event: SessionEvent) -> None:
        provider = self._registry.find(record.provider_id)
        if provider is None or not provider.webhook_url:
            return
        extra = {
            "subject": event.subject,
            "source": event.source,
            "code": event.code,
            "reference": record.reference,
        }
        webhook = session_event(
            record.session_id, event.seq, event.type.value, event.state.value, event.at, event.counts, extra
        )
        deadline = datetime.now(UTC) + timedelta(seconds=provider.pickup_window_seconds)
        await self._webhooks.enqueue(provider.id, provider.webhook_url, webhook, deadline)
        if event.type.value in ("session.expired", "session.cancelled") and record.package_sha256:
            await self._announce_deletion(
                record, "expired" if event.type.value == "session.expired" else "cancelled"
            )
