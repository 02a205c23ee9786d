"""Handing over: each person's consent and the package sealed to the provider, the provider's pick-up
acknowledged, and a signed deletion receipt whenever the package is gone.

Nothing is recorded before the step that can fail has succeeded: the package is built and sealed to the
provider's key first, and only then are the consents and the sealed package recorded, in one update of the
session (``SessionService.deliver``): never a consent without its package. A provider whose key cannot be
used, or a store that fails, thus leaves the session in review, where the citizen can try again.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from joserfc.jwk import ECKey

from databrug.broker.errors import BrokerError
from databrug.broker.login import login_is_fresh
from databrug.broker.outcome import OutcomePreview, evaluate_outcome, outcome_request, outcome_statement
from databrug.broker.providers import registered
from databrug.broker.review import Reviewing
from databrug.broker.vault import Vault
from databrug.consent import ConsentReceipt, Language, consent_receipt, make_consent
from databrug.consent.receipt import ReceiptErasure
from databrug.consent.statements import OutcomeConsent, consent_statement
from databrug.delivery.events import package_deleted, package_ready
from databrug.delivery.jwe import SealedPackage, seal_package
from databrug.delivery.outcome import sign_outcome
from databrug.delivery.package import build_package
from databrug.delivery.receipts import DeletionReason, DeletionReceipt, sign_receipt
from databrug.delivery.webhooks import WebhookSender
from databrug.records import ConsentRecord, Document, ProviderRef, Role, SourceEntry, Subject
from databrug.records.consent import ConsentAuthentication
from databrug.records.outcome import ErasureCommitment, PurposeRef, outcome_sha256
from databrug.records.package import PartnerAbsence
from databrug.registrations.store import ProviderRegistry
from databrug.sessions.model import SessionRecord
from databrug.sessions.service import AppSession, SessionService


def package_id_for(session_id: str) -> str:
    """One package per session, so its id follows from the session id (the receipt needs it later)."""
    return "pkg_" + session_id.removeprefix("ses_")


class DeletionAnnouncer:
    """A signed deletion receipt for a session's package, also sent to the provider's webhook."""

    def __init__(self, registry: ProviderRegistry, webhooks: WebhookSender, receipt_key: ECKey) -> None:
        self._registry = registry
        self._webhooks = webhooks
        self._receipt_key = receipt_key

    async def __call__(
        self, record: SessionRecord, reason: DeletionReason, ciphertext_sha256: str | None = None
    ) -> str:
        package_id = package_id_for(record.session_id)
        receipt = DeletionReceipt(
            session_id=record.session_id,
            package_id=package_id,
            provider_id=record.provider_id,
            ciphertext_sha256=ciphertext_sha256 or record.package_sha256 or "0" * 64,
            deleted_at=datetime.now(UTC),
            reason=reason,
        )
        signed = sign_receipt(receipt, self._receipt_key)
        provider = self._registry.find(record.provider_id)
        if provider is not None and provider.webhook_url:
            event = package_deleted(record.session_id, package_id, reason, signed, record.event_seq)
            await self._webhooks.enqueue(
                provider.id, provider.webhook_url, event, datetime.now(UTC) + timedelta(hours=1)
            )
        return signed


def new_erasure_token() -> str:
    """The erasure code: the citizen's receipt holds it, the package only its SHA-256 (192 random bits)."""
    return "era_" + secrets.token_urlsafe(24)


def _person_only(subject: Subject) -> Subject:
    """What goes of a person in an outcome-only package: who they are (the BRP record), no incomes or
    assets."""
    return Subject(role=subject.role, person=subject.person)


def _entries_of(subjects: list[Subject], entries: list[SourceEntry]) -> list[SourceEntry]:
    """The source entries the subjects' records point at (for a person-only subject: the BRP's)."""
    refs = {ref for subject in subjects for ref in subject.source_refs()}
    return [e for e in entries if e.id in refs]


def _committed_to_outcome(
    consent: ConsentRecord,
    subject: Subject,
    evaluated: list[SourceEntry],
    provider: ProviderRef,
    language: Language,
    mention: OutcomeConsent,
    signed_outcome: str,
) -> ConsentRecord:
    """The consent in outcome mode: its statement says the outcome goes (computed on every source the rule
    read, named), and it commits to that signed outcome by its SHA-256 (``verify_consents`` checks it)."""
    mine = [e for e in evaluated if e.subject == subject.role]
    name = subject.person.name if subject.person else None
    return ConsentRecord.model_validate(
        {
            **consent.model_dump(),
            "statement": consent_statement(provider.name, mine, language, name, outcome=mention),
            "outcome_sha256": outcome_sha256(signed_outcome),
        }
    )


def _authentication(app: AppSession, role: Role) -> ConsentAuthentication:
    """How the person consenting logged in, from the record (checked fresh just before)."""
    progress = app.record.subjects[role]
    if progress.loa is None or progress.authenticated_at is None:
        raise BrokerError("consent_login_required", "log in with DigiD again to consent")
    return ConsentAuthentication(
        method=progress.authenticated_by or "digid_login",
        level=progress.loa,
        authenticated_at=progress.authenticated_at,
    )


class Handover:
    """Deliver and acknowledge, over the session service, the review step, the vault and the webhooks."""

    def __init__(
        self,
        sessions: SessionService,
        registry: ProviderRegistry,
        webhooks: WebhookSender,
        review: Reviewing,
        vault: Vault,
        deletions: DeletionAnnouncer,
        broker_url: str,
        receipt_key: ECKey,
    ) -> None:
        self._sessions = sessions
        self._registry = registry
        self._webhooks = webhooks
        self._review = review
        self._vault = vault
        self._deletions = deletions
        self._broker_url = broker_url
        self._receipt_key = receipt_key
        """Signs outcomes too: the key published at ``/.well-known/databrug-receipt-keys.json``."""

    async def deliver(
        self, app: AppSession, key: bytes, language: Language, consenting: list[Role], send_data: bool = False
    ) -> tuple[SessionRecord, ConsentReceipt]:
        """Build the package and seal it to the provider; then record each person's consent with the sealed
        package (one update), queue the webhook and keep the citizen's consent receipt. Each consenting
        person must have logged in with DigiD within ``CONSENT_LOGIN_WINDOW`` (``consent_login_required``,
        nothing recorded): the record says how, and the SDK checks it.

        A session asking for the outcome (``request.delivery == "outcome"``) sends the broker's signed outcome
        and the person records only; ``send_data`` also sends the template-bounded data, allowed only when the
        outcome is "investigate" (``outcome_data_not_allowed``; refused for a data-mode session too). Every
        package carries the SHA-256 of a fresh erasure code that only the citizen's receipt holds."""
        provider = registered(self._registry, app.record.provider_id)
        ref = ProviderRef(id=provider.id, name=provider.display_name)
        subjects_in = app.record.subjects  # a partner who never logged in (went on without them) has no data
        roles: list[Role] = [
            r for r in ("applicant", "partner") if r in subjects_in and subjects_in[r].authenticated_at
        ]
        now = self._sessions.clock.now()
        for role in consenting:
            if role in roles and not login_is_fresh(app.record, role, now):
                raise BrokerError("consent_login_required", "log in with DigiD again to consent")
        if sorted(consenting) != sorted(roles):
            raise BrokerError("consent_required", "everyone who logged in must consent to their own data")
        asked = app.record.request
        wants_outcome = outcome_request(app.record) is not None
        if send_data and not wants_outcome:
            raise BrokerError("outcome_data_not_allowed", "this session sends the data already")
        package_id = package_id_for(app.session_id)
        subjects: list[Subject] = []
        entries: list[SourceEntry] = []
        documents: list[Document] = []
        for role in roles:
            subject, mine, originals = await self._review.subject_data(app, key, role)
            if not mine:
                raise BrokerError("consent_required", "there is no data to send for this person")
            subjects.append(subject)
            entries.extend(mine)
            documents.extend(originals)
        signed_outcome: str | None = None
        mention: OutcomeConsent | None = None
        if wants_outcome:
            preview = evaluate_outcome(app.record, ref, package_id, subjects, entries, now)
            if send_data and preview.advice.outcome != "investigate":
                raise BrokerError(
                    "outcome_data_not_allowed", "the data go with the outcome only when it says investigate"
                )
            statement = outcome_statement(preview, app.record, package_id, self._broker_url, now)
            signed_outcome = sign_outcome(statement, self._receipt_key)
            mention = OutcomeConsent(preview.rule_id, preview.rule_version, with_data=send_data)
        sent = subjects if signed_outcome is None or send_data else [_person_only(s) for s in subjects]
        sent_entries = entries if sent is subjects else _entries_of(sent, entries)
        consents = []
        for subject in sent:
            consent = make_consent(
                subject, sent_entries, ref, language, now, _authentication(app, subject.role)
            )
            if signed_outcome is not None and mention is not None:
                consent = _committed_to_outcome(
                    consent, subject, entries, ref, language, mention, signed_outcome
                )
            consents.append(consent)
        token = new_erasure_token()
        purpose = PurposeRef(id=asked.purpose, version=asked.purpose_version) if asked is not None else None
        package = build_package(
            ref,
            app.record.reference,
            sent,
            sent_entries,
            consents,
            documents if sent is subjects else [],
            include_documents=asked.include_documents if asked is not None else provider.want_documents,
            package_id=package_id,
            partner_absent=PartnerAbsence(reason=app.record.partner_absent)
            if app.record.partner_absent and "partner" not in roles
            else None,
            purpose=purpose,
            outcome=signed_outcome,
            erasure=ErasureCommitment(
                token_sha256=hashlib.sha256(token.encode("ascii")).hexdigest(),
                retention_days=provider.retention_days,
            ),
        )
        sealed = await asyncio.to_thread(seal_package, package, provider.encryption_jwks)
        record = await self._sessions.deliver(app, roles, sealed.compact.encode("ascii"))
        erasure = ReceiptErasure(
            token=token,
            erasure_url=provider.erasure_url,
            retention_days=provider.retention_days,
            privacy_statement_url=provider.privacy_statement_url,
            provider_name=provider.display_name,
            third_parties=list(provider.third_parties),
            purpose=purpose,
        )
        receipt = consent_receipt(app.session_id, package, now, sealed.ciphertext_sha256, erasure=erasure)
        await self._announce_package(record, package.package_id, sealed)
        del package, subjects, sent  # the plaintext goes out of scope here; only the JWE remains
        await self._vault.save_receipt(app, key, receipt)
        return record, receipt

    def outcome_preview(
        self, app: AppSession, subjects: list[Subject], entries: list[SourceEntry]
    ) -> OutcomePreview:
        """What the signed outcome would say now, for the review (the same evaluation ``deliver`` signs)."""
        provider = registered(self._registry, app.record.provider_id)
        ref = ProviderRef(id=provider.id, name=provider.display_name)
        now = self._sessions.clock.now()
        return evaluate_outcome(app.record, ref, package_id_for(app.session_id), subjects, entries, now)

    async def _announce_package(self, record: SessionRecord, package_id: str, sealed: SealedPackage) -> None:
        provider = registered(self._registry, record.provider_id)
        if not provider.webhook_url:
            return
        expires_at = datetime.now(UTC) + timedelta(seconds=provider.pickup_window_seconds)
        pickup = f"{self._broker_url}/api/v1/sessions/{record.session_id}/package"
        event = package_ready(record.session_id, package_id, sealed, pickup, expires_at, record.event_seq)
        await self._webhooks.enqueue(provider.id, provider.webhook_url, event, expires_at)

    async def acknowledge(self, session_id: str, provider_id: str) -> str:
        """The provider has the package: delete the ciphertext and return a signed deletion receipt, which
        the citizen's receipt page shows as well (kept beside the consent receipt, see ``Vault``)."""
        ciphertext = await self._sessions.load_package(session_id, provider_id)
        if ciphertext is None:
            raise BrokerError("package_not_ready", "there is no package to acknowledge")
        record = await self._sessions.acknowledge(session_id, provider_id)
        signed = await self._deletions(record, "acknowledged", hashlib.sha256(ciphertext).hexdigest())
        await self._vault.save_deletion_receipt(session_id, signed)
        return signed
