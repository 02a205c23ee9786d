"""The broker: its wired parts, and the single door ``web/`` goes through. Each step of the journey lives in
its own module (``collect``, ``review``, ``handover``; at rest: ``vault``); this class delegates to them.

Framework-free: ``web/`` turns HTTP into calls on ``Broker`` and maps the stable error codes back to HTTP.
Everything personal passes through here only in memory, sealed at rest under the citizen's session key.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from joserfc.jwk import ECKey

from databrug import purposes
from databrug.broker import background
from databrug.broker.collect import Collecting, Collector, not_collected
from databrug.broker.consent_terms import ConsentTerms, consent_terms
from databrug.broker.errors import BrokerError
from databrug.broker.handover import DeletionAnnouncer, Handover
from databrug.broker.login import (
    LoginPurpose,
    check_consent_login,
    check_subject,
    finish_login,
    login_is_fresh,
    recorded_level,
    start_login,
    subject_hash,
)
from databrug.broker.outcome import OutcomePreview, outcome_request
from databrug.broker.providers import authenticated, registered
from databrug.broker.requests import session_request
from databrug.broker.review import NextStep, PersonData, Reviewing
from databrug.broker.source_health import SourceHealth, SourceHealthView
from databrug.broker.vault import Collected, Vault
from databrug.consent import ConsentReceipt, Language
from databrug.delivery.receipts import public_jwks
from databrug.delivery.webhooks import WebhookSender
from databrug.identity.oidc import DigidClient, DigidLogin
from databrug.metrics import BrokerMetrics
from databrug.observability.tracing import span
from databrug.records import Document, Role, SourceEntry, SourceName, Subject
from databrug.registrations.access_tokens import issue_access_token, read_access_token
from databrug.registrations.credentials import RecentlyVerified
from databrug.registrations.model import ProviderRegistration
from databrug.registrations.store import ProviderRegistry
from databrug.sessions.errors import StoreUnavailable
from databrug.sessions.events import SessionEvent
from databrug.sessions.model import DataRequest, SessionRecord
from databrug.sessions.service import AppSession, SessionService
from databrug.sessions.watch import SessionWatch


@dataclass(frozen=True)
class BrokerSettings:
    """What the broker and its web skin read of the settings (``bootstrap`` reads ``config``, the broker
    does not)."""

    broker_url: str
    """The broker's public base URL (links, DigiD redirect, pick-up URL)."""
    digid_issuer_url: str
    pairing_ttl_seconds: int = 120
    pairing_attempts_per_minute: int = 300
    """Per client address (``config.Settings`` says why so many); the next one is per pairing."""
    pairing_attempts_per_token_per_minute: int = 10
    token_requests_per_minute: int = 600
    """``/api/v1/token`` per client id; the next one per client address."""
    token_requests_per_address_per_minute: int = 600
    sessions_per_minute: int = 600
    expiry_sweep_seconds: float = 15.0
    webhook_poll_seconds: float = 1.0
    readiness_timeout_seconds: float = 2.0
    access_log: bool = True
    bench_decrypt_counts: bool = False


@dataclass
class Broker:
    settings: BrokerSettings
    sessions: SessionService
    registry: ProviderRegistry
    digid: DigidClient
    collector: Collector
    webhooks: WebhookSender
    http: tuple[httpx.AsyncClient, ...]
    """The outgoing HTTP clients (sources, DigiD, webhooks), closed with the app."""
    secret: bytes
    receipt_key: ECKey
    metrics: BrokerMetrics = field(default_factory=BrokerMetrics)
    """The registry ``web/metrics.py`` serves on the private metrics port (ids-free labels only)."""
    vault: Vault = field(init=False)
    announce_deletion: DeletionAnnouncer = field(init=False)
    _review: Reviewing = field(init=False, repr=False)
    _collecting: Collecting = field(init=False, repr=False)
    _health: SourceHealth = field(init=False, repr=False)
    _handover: Handover = field(init=False, repr=False)
    _recently_verified: RecentlyVerified = field(default_factory=RecentlyVerified, repr=False)
    draining: bool = field(default=False, init=False)
    """Set by ``drain``: the process is stopping (readiness answers 503)."""
    _watches: set[SessionWatch] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self.vault = Vault(self.sessions)
        self.announce_deletion = DeletionAnnouncer(self.registry, self.webhooks, self.receipt_key)
        self._review = Reviewing(self.sessions, self.vault)
        self._health = SourceHealth(self.sessions.store, wall=lambda: self.sessions.clock.now().timestamp())
        self._collecting = Collecting(
            self.sessions, self.registry, self.collector, self.vault, self._health, self.metrics
        )
        self._handover = Handover(
            self.sessions,
            self.registry,
            self.webhooks,
            self._review,
            self.vault,
            self.announce_deletion,
            self.settings.broker_url,
            self.receipt_key,
        )

    # -- providers

    def provider(self, provider_id: str) -> ProviderRegistration:
        return registered(self.registry, provider_id)

    def issue_access_token(self, provider_id: str) -> str:
        return issue_access_token(self.secret, provider_id)

    async def token_for_client(self, client_id: str, secret: str, address: str) -> str:
        """An access token for the provider whose id and secret these are (OAuth 2 client credentials).
        Limited per client address and per client id before a secret costs a scrypt (tens of ms of CPU)."""

        async def limit() -> None:
            await self.sessions.check_rate(
                f"token-from:{address}", self.settings.token_requests_per_address_per_minute, 60
            )
            await self.sessions.check_rate(
                _client_rate_key(client_id), self.settings.token_requests_per_minute, 60
            )

        provider = await authenticated(self.registry, self._recently_verified, client_id, secret, limit)
        return issue_access_token(self.secret, provider.id)

    def provider_of_token(self, token: str) -> str | None:
        """The registered provider an access token was issued to, while it is valid."""
        found = read_access_token(self.secret, token)
        return found if found is not None and self.registry.find(found) is not None else None

    def receipt_keys(self) -> dict[str, Any]:
        """The public keys that verify deletion receipts (a JWKS)."""
        return public_jwks(self.receipt_key)

    # -- purpose templates (docs/purposes.md): published, and what a new session may ask within them

    def purposes_document(self) -> dict[str, Any]:
        """Every published purpose template version: ``/.well-known/databrug-purposes.json``."""
        return purposes.purposes_document()

    def session_request(
        self,
        provider_id: str,
        sources: Sequence[SourceName],
        *,
        purpose: str | None = None,
        wage_months: int | None = None,
        tax_years: int | None = None,
        documents: bool | None = None,
        delivery: Literal["data", "outcome"] = "data",
        parameters: Mapping[str, Any] | None = None,
        declared_children: int | None = None,
    ) -> DataRequest:
        """The request a new session of this provider keeps; ``purpose_exceeded`` or
        ``purpose_not_registered`` when it does not fit (``broker/requests.py``)."""
        return session_request(
            self.provider(provider_id),
            sources,
            purpose=purpose,
            wage_months=wage_months,
            tax_years=tax_years,
            documents=documents,
            delivery=delivery,
            parameters=parameters,
            declared_children=declared_children,
        )

    # -- logging in

    async def start_login(
        self, app: AppSession, role: Role, purpose: LoginPurpose = "collect"
    ) -> tuple[str, dict[str, Any]]:
        """Where to send the phone for a DigiD login of ``role``, and the state to keep (sealed) until the
        callback. A login to consent is only for a person who logged in before, from the review."""
        if purpose == "consent":
            check_consent_login(app.record, role)
        return await start_login(self.digid, f"{self.settings.broker_url}/app/digid/callback", role, purpose)

    async def finish_login(
        self, app: AppSession, key: bytes, params: dict[str, str], pending: dict[str, Any] | None
    ) -> tuple[Role, LoginPurpose, DigidLogin]:
        """Check the DigiD answer and who logged in, and record the login (its keyed subject hash, never the
        BSN): the role, why it logged in, and the login (BSN, access token, expiry) for the phone to keep."""
        role, purpose, login = await finish_login(self.digid, params, pending)
        if purpose == "collect":  # a login to consent must match the person's recorded hash, checked below
            await self._review.check_login(app, key, role, login.bsn)
        await self.sessions.mark_authenticated(
            app,
            role,
            recorded_level(login),
            subject_hash(self.secret, app.session_id, login.bsn),
            to_consent=purpose == "consent",
        )
        return role, purpose, login

    def check_subject(self, app: AppSession, role: Role, bsn: str) -> None:
        """The one check behind every use of the BSN the phone's login cookie holds (collect, upload,
        consent): it is the person who logged in as ``role`` in this session, by the record's keyed hash."""
        check_subject(self.secret, app.record, role, bsn)

    def logins_to_renew(self, app: AppSession) -> list[Role]:
        """The people who logged in whose latest login is too old for their consent (log in again first)."""
        now, subjects = self.sessions.clock.now(), app.record.subjects
        logged_in: list[Role] = [
            r for r in ("applicant", "partner") if r in subjects and subjects[r].authenticated_at
        ]
        return [role for role in logged_in if not login_is_fresh(app.record, role, now)]

    # -- collecting

    async def collect(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, token: str, bsn: str
    ) -> SessionRecord:
        return await self._collecting.collect(app, key, role, source, token, bsn)

    async def collect_all(self, app: AppSession, key: bytes, role: Role, token: str, bsn: str) -> None:
        """Every source this person has not collected yet, concurrently (each through ``collect``)."""
        with self._collecting.sharing_person(app, role, token, bsn):
            sources = not_collected(app, role)
            await asyncio.gather(*(self.collect(app, key, role, s, token, bsn) for s in sources))

    async def upload(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, data: bytes, bsn: str, token: str
    ) -> str | None:
        """``token``: the person's DigiD access token, to read their BRP record for the binding check."""
        return await self._collecting.upload(app, key, role, source, data, bsn, token)

    # -- reviewing

    async def collected(
        self, app: AppSession, key: bytes, role: Role, source: SourceName
    ) -> Collected | None:
        return await self._review.collected(app, key, role, source)

    async def subject_data(
        self, app: AppSession, key: bytes, role: Role, only: tuple[SourceName, ...] | None = None
    ) -> tuple[Subject, list[SourceEntry], list[Document]]:
        return await self._review.subject_data(app, key, role, only)

    async def people(self, app: AppSession, key: bytes) -> list[PersonData]:
        return await self._review.people(app, key)

    async def expected_partner(self, app: AppSession, key: bytes) -> str | None:
        return await self._review.expected_partner(app, key)

    async def uploaded(self, app: AppSession, key: bytes, role: Role, source: SourceName) -> bool:
        return await self._review.uploaded(app, key, role, source)

    async def uploaded_sources(self, app: AppSession, key: bytes, role: Role) -> set[SourceName]:
        return await self._review.uploaded_sources(app, key, role)

    async def finish_sources(self, app: AppSession, key: bytes, applicant_step: bool) -> NextStep:
        return await self._review.finish_sources(app, key, applicant_step)

    # -- what the consent says besides the data (purpose, retention, third parties)

    def consent_terms(self, app: AppSession) -> ConsentTerms:
        return consent_terms(self.provider(app.record.provider_id), app.record)

    # -- handing over

    async def deliver(
        self,
        app: AppSession,
        key: bytes,
        language: Language,
        consenting: Mapping[Role, str | None],
        send_data: bool = False,
    ) -> tuple[SessionRecord, ConsentReceipt]:
        """Each consenting role with the BSN its login cookie holds (None: the phone holds no valid login
        for that person, who must log in again to consent). ``send_data``: an outcome-only session whose
        outcome is "investigate" sends the template-bounded data with it (else
        ``outcome_data_not_allowed``)."""
        for role, bsn in consenting.items():
            if bsn is None:
                raise BrokerError("consent_login_required", "log in with DigiD again to consent")
            self.check_subject(app, role, bsn)
        with span("package.deliver"):
            return await self._handover.deliver(app, key, language, list(consenting), send_data)

    async def outcome_preview(
        self, app: AppSession, key: bytes, people: list[PersonData] | None = None
    ) -> OutcomePreview | None:
        """The outcome the handover would sign now, on the data the review shows; None for a session that
        asks for the data. ``people``: what ``people()`` returned in this request (saves opening the data
        again)."""
        if outcome_request(app.record) is None:
            return None
        found = people if people is not None else await self.people(app, key)
        subjects = [person.subject for person in found]
        entries = [entry for person in found for entry in person.entries]
        return self._handover.outcome_preview(app, subjects, entries)

    async def consent_receipt(self, app: AppSession, key: bytes) -> bytes | None:
        return await self.vault.load_receipt(app, key)

    async def acknowledge(self, session_id: str, provider_id: str) -> str:
        return await self._handover.acknowledge(session_id, provider_id)

    # -- source health

    async def sources_health(self, *, best_effort: bool = False) -> dict[SourceName, SourceHealthView]:
        """Every source's rolling health (``source_health``): the sources screen and the provider API.
        ``best_effort``: an unreachable store gives no view (``{}``) instead of ``StoreUnavailable``."""
        try:
            return await self._health.view()
        except StoreUnavailable:
            if not best_effort:
                raise
            return {}

    # -- following a session

    @asynccontextmanager
    async def watch(self, session_id: str, after_seq: int = 0) -> AsyncIterator[SessionWatch]:
        """Events after ``after_seq``; ended early by ``drain`` (the watcher resumes elsewhere by seq)."""
        async with self.sessions.watch(session_id, after_seq) as watch:
            self._watches.add(watch)
            if self.draining:
                watch.end()
            try:
                yield watch
            finally:
                self._watches.discard(watch)

    def drain(self) -> None:
        """The process is about to stop: end every watch (each stream then tells its client to reconnect,
        which the balancer sends to another process) and answer readiness with 503 from now on."""
        self.draining = True
        for watch in tuple(self._watches):
            watch.end()

    async def events_after(self, session_id: str, after_seq: int) -> list[SessionEvent]:
        return await self.sessions.events_after(session_id, after_seq)

    def now(self) -> datetime:
        return self.sessions.clock.now()

    # -- housekeeping

    async def sweep(self) -> None:
        await background.sweep(self.sessions)

    async def store_reachable(self, timeout: float) -> bool:
        try:
            return await asyncio.wait_for(self.sessions.store.ping(), timeout)
        except TimeoutError:
            return False

    async def close(self) -> None:
        """End the parse workers and close the outgoing clients and the session store."""
        self.collector.close()
        for client in self.http:
            await client.aclose()
        await self.sessions.store.close()


def _client_rate_key(client_id: str) -> str:
    """The rate key of a client id as sent: digested, since it is whatever the caller typed (any length)."""
    return "token:" + hashlib.sha256(client_id.encode("utf-8", "replace")).hexdigest()[:32]
