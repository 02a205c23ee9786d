"""The broker's parts wired together, and the steps that span features: collect a source, deliver a package.

Framework-free: ``web/`` turns HTTP into calls on ``Broker`` and maps the stable error codes back to HTTP.
Everything personal passes through here only in memory, sealed at rest under the citizen's session key.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from joserfc.jwk import ECKey
from pydantic import BaseModel, Field

from databrug.collection.merge import merge_documents
from databrug.collection.partner import PARTNER_SOURCES, expected_partner_bsn
from databrug.collection.runner import Collector, FetchedDocument
from databrug.config import Settings
from databrug.consent import ConsentReceipt, Language, consent_receipt, make_consent
from databrug.delivery.events import package_deleted, package_ready, session_event
from databrug.delivery.jwe import SealedPackage, seal_package
from databrug.delivery.package import build_package
from databrug.delivery.receipts import DeletionReason, DeletionReceipt, sign_receipt
from databrug.delivery.webhooks import WebhookSender
from databrug.identity.oidc import DigidClient
from databrug.records import (
    Document,
    ProviderRef,
    Role,
    SourceEntry,
    SourceName,
    Subject,
)
from databrug.registrations.model import ProviderRegistration
from databrug.registrations.store import ProviderRegistry
from databrug.sessions.errors import SessionError
from databrug.sessions.events import SessionEvent
from databrug.sessions.model import SessionRecord
from databrug.sessions.service import AppSession, SessionService
from databrug.sources.errors import SourceError
from databrug.sources.parsing import ParsedDocument

logger = logging.getLogger("databrug.broker")


class BrokerError(Exception):
    """A broker-level refusal with a stable code (mapped to HTTP in ``web/errors.py``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class _SealedDocument(BaseModel):
    entry: SourceEntry
    subject: Subject


class _SealedCollected(BaseModel):
    """The JSON form of ``Collected`` in the sealed blob: written and read by pydantic in one pass each."""

    documents: list[_SealedDocument]
    originals: dict[str, str] = Field(default_factory=dict)
    """Base64 of each original document, by its entry id (only when the provider asked for originals)."""


@dataclass(frozen=True)
class Collected:
    """What one source gave one subject, as sealed at rest (records, provenance, optionally originals)."""

    documents: list[ParsedDocument]
    originals: dict[str, bytes] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        # The records are already validated models: pydantic does not validate them again here.
        sealed = _SealedCollected(
            documents=[_SealedDocument(entry=d.entry, subject=d.subject) for d in self.documents],
            originals={k: base64.b64encode(v).decode("ascii") for k, v in self.originals.items()},
        )
        return sealed.model_dump_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Collected:
        sealed = _SealedCollected.model_validate_json(data)
        return cls(
            documents=[ParsedDocument(entry=d.entry, subject=d.subject) for d in sealed.documents],
            originals={k: base64.b64decode(v) for k, v in sealed.originals.items()},
        )

    @staticmethod
    def origins(data: bytes) -> set[str]:
        """The origins (fetched, uploaded) of a sealed blob's documents, without validating its records."""
        return {item["entry"].get("origin", "fetched") for item in json.loads(data)["documents"]}


def count_records(subject: Subject) -> int:
    return (
        (1 if subject.person else 0)
        + len(subject.incomes.relations)
        + len(subject.incomes.tax_years)
        + len(subject.incomes.allowances)
        + (1 if subject.pensions.state_pension else 0)
        + len(subject.pensions.schemes)
        + len(subject.pensions.survivor_pensions)
        + len(subject.assets.homes)
        + len(subject.assets.mortgages)
        + len(subject.assets.vehicles)
        + len(subject.assets.bank_balances)
    )


class SessionEventForwarder:
    """Every session event this process emits also goes to the provider's webhook (ids and counts only)."""

    def __init__(self) -> None:
        self.broker: Broker | None = None

    async def __call__(self, record: SessionRecord, event: SessionEvent) -> None:
        broker = self.broker
        if broker is None:
            return
        provider = broker.registry.find(record.provider_id)
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
        await broker.webhooks.enqueue(provider.id, provider.webhook_url, webhook, deadline)
        if event.type.value in ("session.expired", "session.cancelled") and record.package_sha256:
            await broker.announce_deletion(
                record, "expired" if event.type.value == "session.expired" else "cancelled"
            )


@dataclass
class Broker:
    settings: Settings
    sessions: SessionService
    registry: ProviderRegistry
    digid: DigidClient
    collector: Collector
    webhooks: WebhookSender
    http: tuple[httpx.AsyncClient, ...]
    """The outgoing HTTP clients (sources, DigiD, webhooks), closed with the app."""
    secret: bytes
    receipt_key: ECKey

    # -- providers

    def provider(self, provider_id: str) -> ProviderRegistration:
        found = self.registry.find(provider_id)
        if found is None:
            raise BrokerError("provider_unknown", "this provider is not registered")
        return found

    # -- collection

    async def collect(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, token: str, bsn: str
    ) -> SessionRecord:
        """Fetch and parse one source for one subject; failure is recorded and retryable on its own."""
        await self.sessions.source_started(app, role, source)
        try:
            fetched = await self.collector.collect(role, source, token, bsn)
        except SourceError as error:
            logger.info("source failed session=%s source=%s code=%s", app.session_id, source, error.code)
            return await self.sessions.source_failed(app, role, source, error.code)
        return await self._keep(app, key, role, source, fetched)

    async def upload(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, parsed: ParsedDocument, data: bytes
    ) -> SessionRecord:
        """A document the citizen downloaded themselves, parsed by the same parser (origin 'uploaded')."""
        await self.sessions.source_started(app, role, source)
        existing = await self.collected(app, key, role, source)
        documents = [d for d in (existing.documents if existing else []) if d.entry.id != parsed.entry.id]
        originals = dict(existing.originals) if existing else {}
        originals[parsed.entry.id] = data
        return await self._store(app, key, role, source, Collected([*documents, parsed], originals))

    async def _keep(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, fetched: list[FetchedDocument]
    ) -> SessionRecord:
        provider = self.provider(app.record.provider_id)
        originals = {f.parsed.entry.id: f.original for f in fetched} if provider.want_documents else {}
        return await self._store(app, key, role, source, Collected([f.parsed for f in fetched], originals))

    async def _store(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, collected: Collected
    ) -> SessionRecord:
        await self.sessions.save_collected(app, key, role, source, collected.to_bytes())
        records = sum(count_records(d.subject) for d in collected.documents)
        return await self.sessions.source_completed(app, role, source, records)

    async def collected(
        self, app: AppSession, key: bytes, role: Role, source: SourceName
    ) -> Collected | None:
        data = await self.sessions.load_collected(app, key, role, source)
        return None if data is None else Collected.from_bytes(data)

    async def subject_data(
        self, app: AppSession, key: bytes, role: Role, only: tuple[SourceName, ...] | None = None
    ) -> tuple[Subject, list[SourceEntry], list[Document]]:
        documents: list[ParsedDocument] = []
        originals: list[Document] = []
        for source in app.record.sources:
            if only is not None and source not in only:
                continue
            collected = await self.collected(app, key, role, source)
            if collected is None:
                continue
            documents.extend(collected.documents)
            for document in collected.documents:
                data = collected.originals.get(document.entry.id)
                if data is not None:
                    originals.append(
                        Document(
                            source_ref=document.entry.id,
                            media_type=document.entry.media_type,
                            filename=f"{document.entry.document_type}{_extension(document.entry.media_type)}",
                            content_base64=base64.b64encode(data).decode("ascii"),
                        )
                    )
        subject, entries = merge_documents(role, documents)
        return subject, entries, originals

    async def expected_partner(self, app: AppSession, key: bytes) -> str | None:
        subject, _, _ = await self.subject_data(app, key, "applicant", only=PARTNER_SOURCES)
        return expected_partner_bsn(subject)

    async def uploaded(self, app: AppSession, key: bytes, role: Role, source: SourceName) -> bool:
        """Whether the citizen uploaded this source's document themselves (read without the records)."""
        data = await self.sessions.load_collected(app, key, role, source)
        return data is not None and "uploaded" in Collected.origins(data)

    # -- consent and delivery

    async def deliver(
        self, app: AppSession, key: bytes, language: Language, consenting: list[Role]
    ) -> tuple[SessionRecord, ConsentReceipt]:
        """Record each person's consent, build the package, seal it to the provider, queue the webhook."""
        provider = self.provider(app.record.provider_id)
        ref = ProviderRef(id=provider.id, name=provider.display_name)
        roles: list[Role] = [r for r in ("applicant", "partner") if r in app.record.subjects]
        if sorted(consenting) != sorted(roles):
            raise BrokerError("consent_required", "everyone who logged in must consent to their own data")
        now = datetime.now(UTC)
        subjects: list[Subject] = []
        entries: list[SourceEntry] = []
        documents: list[Document] = []
        consents = []
        for role in roles:
            subject, mine, originals = await self.subject_data(app, key, role)
            if not mine:
                raise BrokerError("consent_required", "there is no data to send for this person")
            subjects.append(subject)
            entries.extend(mine)
            documents.extend(originals)
            consents.append(make_consent(subject, mine, ref, language, now))
        record = app.record
        for role in roles:
            record = await self.sessions.consent(app, role)
        package = build_package(
            ref,
            record.reference,
            subjects,
            entries,
            consents,
            documents,
            include_documents=provider.want_documents,
            package_id=package_id_for(app.session_id),
        )
        sealed = await asyncio.to_thread(seal_package, package, provider.encryption_jwks)
        record = await self.sessions.store_package(app.session_id, sealed.compact.encode("ascii"))
        receipt = consent_receipt(app.session_id, package, now)
        await self._announce_package(record, package.package_id, sealed)
        del package, subjects  # the plaintext goes out of scope here; only the JWE remains
        return record, receipt

    async def _announce_package(self, record: SessionRecord, package_id: str, sealed: SealedPackage) -> None:
        provider = self.provider(record.provider_id)
        if not provider.webhook_url:
            return
        expires_at = datetime.now(UTC) + timedelta(seconds=provider.pickup_window_seconds)
        pickup = f"{self.settings.broker_url()}/api/v1/sessions/{record.session_id}/package"
        event = package_ready(record.session_id, package_id, sealed, pickup, expires_at)
        await self.webhooks.enqueue(provider.id, provider.webhook_url, event, expires_at)

    async def acknowledge(self, session_id: str, provider_id: str) -> str:
        """The provider has the package: delete the ciphertext and return a signed deletion receipt."""
        ciphertext = await self.sessions.load_package(session_id, provider_id)
        if ciphertext is None:
            raise BrokerError("package_not_ready", "there is no package to acknowledge")
        record = await self.sessions.acknowledge(session_id, provider_id)
        return await self.announce_deletion(record, "acknowledged", hashlib.sha256(ciphertext).hexdigest())

    async def announce_deletion(
        self, record: SessionRecord, reason: DeletionReason, ciphertext_sha256: str | None = None
    ) -> str:
        """A signed deletion receipt for the package, also sent to the provider's webhook."""
        package_id = package_id_for(record.session_id)
        receipt = DeletionReceipt(
            session_id=record.session_id,
            package_id=package_id,
            provider_id=record.provider_id,
            ciphertext_sha256=ciphertext_sha256 or record.package_sha256 or "0" * 64,
            deleted_at=datetime.now(UTC),
            reason=reason,
        )
        signed = sign_receipt(receipt, self.receipt_key)
        provider = self.registry.find(record.provider_id)
        if provider is not None and provider.webhook_url:
            event = package_deleted(record.session_id, package_id, reason, signed)
            await self.webhooks.enqueue(
                provider.id, provider.webhook_url, event, datetime.now(UTC) + timedelta(hours=1)
            )
        return signed

    # -- housekeeping

    async def sweep(self) -> None:
        try:
            expired = await self.sessions.expire_due()
        except SessionError:
            logger.exception("expiry sweep failed")
            return
        if expired:
            logger.info("expired sessions count=%d", len(expired))


def package_id_for(session_id: str) -> str:
    """One package per session, so its id follows from the session id (the receipt needs it later)."""
    return "pkg_" + session_id.removeprefix("ses_")


def _extension(media_type: str) -> str:
    return {
        "application/pdf": ".pdf",
        "application/xml": ".xml",
        "application/json": ".json",
        "application/hal+json": ".json",
    }.get(media_type, ".bin")
