"""The session operations the web layer calls: lifecycle, progress, expiry, sealed data, events.

Three faces, three credentials:

- the provider holds the session id (``ses_…``) and its API credentials → ``provider_session``, ``cancel``, …;
- the citizen's computer page holds the page token (``dbp_…``) → ``open_page``, and the pairing steps in
  ``service.pairing`` (``sessions/pairing.py``);
- the citizen's phone app holds the app token (``dba_…``) → ``app_session`` gives an ``AppSession``, the
  capability every app-side operation takes.

Every change is one compare-and-set update of the record that keeps and publishes its event in the same atomic
step (``_change``, the kernel ``Pairing`` runs on too). Longer than 400 lines on purpose: lifecycle, progress,
sealed data and expiry are each a few small steps on that one kernel, and its rules (deadline, activity,
event seq, ended sessions) read best beside them; pairing (``pairing.py``) and watching (``watch.py``) live
apart.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, TypeVar

from databrug.metrics import BrokerMetrics
from databrug.records import SOURCE_NAMES, Role, SourceName
from databrug.records.package import PartnerAbsentReason
from databrug.sessions.clock import Clock, SystemClock
from databrug.sessions.errors import (
    InvalidRequest,
    InvalidTransition,
    LoginMismatch,
    PairingPending,
    PartnerIsApplicant,
    PartnerNotAllowed,
    PartnerRequired,
    RateLimited,
    SessionCancelled,
    SessionError,
    SessionExpired,
    SessionFailed,
    SessionNotFound,
    SourceNotRequested,
    SourcesPending,
    TokenInvalid,
)
from databrug.sessions.events import EventType, SessionEvent
from databrug.sessions.model import (
    CitizenLanguage,
    DataRequest,
    PartnerMode,
    PendingPairing,
    SessionRecord,
    SourceProgress,
    SourceStatus,
    SubjectProgress,
)
from databrug.sessions.pairing import Pairing
from databrug.sessions.sealing import SealedBytes, open_sealed, seal
from databrug.sessions.state import SessionState, is_final, transition
from databrug.sessions.store import RateLimit, SessionStore
from databrug.sessions.tokens import (
    AppToken,
    PageToken,
    SessionId,
    TokenHash,
    TokenKind,
    hashes_equal,
    new_session_id,
)
from databrug.sessions.watch import SessionWatch

log = logging.getLogger(__name__)

S = SessionState
EventListener = Callable[[SessionRecord, SessionEvent], Awaitable[None]]
Loa = Literal["basis", "midden", "substantieel"]
Decision = TypeVar("Decision")

_APPLICANT_PHASE = frozenset({S.AUTHENTICATED, S.COLLECTING})
_PARTNER_PHASE = frozenset({S.PARTNER_AUTHENTICATED, S.PARTNER_COLLECTING})
_ENDED_ERRORS: dict[SessionState, type[SessionError]] = {
    S.CANCELLED: SessionCancelled,
    S.EXPIRED: SessionExpired,
    S.FAILED: SessionFailed,
}
_DATA_PREFIX = "data/"
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
PACKAGE_BLOB = "package"
"""Where packages stored before ``deliver`` named each by its digest were kept (read for those only)."""
RECEIPTS = "receipt"
"""The prefix of the citizen's receipt blobs, which outlive the package once the provider acknowledged it."""


def package_blob(package_sha256: str) -> str:
    """The sealed package's blob, named by its digest: two deliveries racing (a double tap on "send") each
    write their own, and the one whose update lost removes only its own."""
    return f"{PACKAGE_BLOB}/{package_sha256[:32]}"


FETCH_LEASE_MARGIN_SECONDS = 5.0
"""Past the fetch bound, room for the fetch's last writes (its sealed data, then its status) before its lease
ends: a live fetch always records its own end; only a dead one's is recorded for it."""
SOURCE_INTERRUPTED = "source_interrupted"
"""The code of a source whose fetch was cut off (its broker process died mid-fetch): fetch it again."""


@dataclass(frozen=True)
class SessionSettings:
    lifetime_seconds: int = 3 * 24 * 3600
    """How long an invitation may wait before the journey is done (default for ``create_session``)."""
    idle_timeout_seconds: int = 30 * 60
    """From pairing to consent: a session without activity this long expires and its data is dropped."""
    pairing_ttl_seconds: int = 120
    """Lifetime of a QR pairing token, and then of the code shown on the phone."""
    max_code_attempts: int = 3
    pickup_window_seconds: int = 24 * 3600
    final_retention_seconds: int = 24 * 3600
    """How long an ended session's record (states and counts only) still answers status queries."""
    event_history: int = 200
    store_grace_seconds: int = 600
    """The store's own TTL runs this much past the deadline, so ``expire_due`` can record the expiry."""
    fetch_bound_seconds: float = 75.0
    """The longest one source's fetch may take in the process doing it (``broker.collect`` cuts it off
    there): its documents (``source_deadline_seconds`` each, at once), the BRP read that binds them (another),
    parsing. The lease of a fetch (``SourceProgress.fetching_until``) ends ``FETCH_LEASE_MARGIN_SECONDS``
    later: a fetch still "fetching" then was cut off by a crash, and the next expiry sweep releases it."""

    @property
    def fetch_lease_seconds(self) -> float:
        return self.fetch_bound_seconds + FETCH_LEASE_MARGIN_SECONDS


@dataclass(frozen=True)
class _Step:
    """One step of an update that makes several, for its event: what happened, the state after it, to whom."""

    kind: EventType
    state: SessionState
    subject: Role | None


@dataclass(frozen=True)
class AppSession:
    """Proof that the caller presented the session's active app token (from ``app_session``)."""

    session_id: SessionId
    record: SessionRecord


class SessionService:
    def __init__(
        self,
        store: SessionStore,
        clock: Clock | None = None,
        settings: SessionSettings | None = None,
        on_event: EventListener | None = None,
        pairing_secret: bytes | None = None,
        metrics: BrokerMetrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or BrokerMetrics()
        """Counts the state transitions this process makes (``databrug_session_transitions_total``)."""
        self.clock = clock or SystemClock()
        self.settings = settings or SessionSettings()
        self.on_event = on_event
        """Called with every event this process emits (e.g. to queue the provider's webhook), once."""
        secret = pairing_secret or secrets.token_bytes(32)
        self.pairing = Pairing(self, secret)
        """QR pairing, short codes and phone-only start. Every process must share ``pairing_secret`` (the
        broker secret) for a short code shown by one to be resolved by another."""
        self._rate_secret = hmac.new(secret, b"databrug rate-limit keys", hashlib.sha256).digest()

    # -- creation and the provider's face

    async def create_session(
        self,
        provider_id: str,
        reference: str,
        sources: Sequence[SourceName],
        partner_mode: PartnerMode = "off",
        ttl_seconds: int | None = None,
        language: CitizenLanguage | None = None,
        partner_expected: bool = False,
        request: DataRequest | None = None,
        rate: RateLimit | None = None,
    ) -> tuple[SessionRecord, PageToken]:
        """A new session for the provider; the page token goes into the citizen's link, once.
        ``partner_expected``: the applicant declared a partner, so the app asks for them whatever the data
        show (refused when the provider's registration takes no partner). ``request``: what the session asks
        for within its purpose template, checked by the broker before (``broker/requests.py``). ``rate``: a
        hit counted as ``check_rate`` counts it, by the store's write of the session (one round trip)."""
        if partner_expected and partner_mode == "off":
            raise InvalidRequest("this provider's registration takes no partner data")
        if not sources or len(set(sources)) != len(sources) or not set(sources) <= set(SOURCE_NAMES):
            raise InvalidRequest("sources must be distinct known source names, at least one")
        if not provider_id or not reference or len(reference) > 200:
            raise InvalidRequest("provider id and reference (at most 200 characters) are required")
        now = self.clock.now()
        lifetime = timedelta(seconds=ttl_seconds or self.settings.lifetime_seconds)
        page_token = PageToken.generate()
        record = SessionRecord(
            session_id=new_session_id(),
            provider_id=provider_id,
            reference=reference,
            created_at=now,
            updated_at=now,
            last_activity_at=now,
            expires_at=now + lifetime,
            lifetime_ends_at=now + lifetime,
            sources=list(sources),
            partner_mode=partner_mode,
            partner_expected=partner_expected or partner_mode == "required",
            language=language,
            request=request,
            page_token_hash=page_token.hash,
            event_seq=1,
        )
        record.progress("applicant")
        created = self._event(record, EventType.CREATED)
        await self.store.create(
            record,
            self._store_ttl(record, now),
            tokens=[(TokenKind.PAGE, page_token.hash)],
            events=[created],
            history=self.settings.event_history,
            rate=None if rate is None else replace(rate, key=self._rate_key(rate.key)),
        )
        self.metrics.transition("none", record.state.value)
        await self._announce(record, created)
        return record, page_token

    async def provider_session(self, session_id: str, provider_id: str) -> SessionRecord:
        """The session as the provider sees it; another provider's session is ``session_not_found``."""
        record = await self._load(session_id, allow_ended=True)
        if not hashes_equal(record.provider_id, provider_id):
            raise SessionNotFound()
        return record

    async def cancel_by_provider(self, session_id: str, provider_id: str) -> SessionRecord:
        await self.provider_session(session_id, provider_id)
        return await self.cancel(session_id)

    async def acknowledge(self, session_id: str, provider_id: str) -> SessionRecord:
        """The provider has the package: drop the ciphertext and the data, end the session. The citizen's
        receipts stay until the record's final retention ends: counts, times, digests (``RECEIPTS``)."""
        await self.provider_session(session_id, provider_id)
        record = await self._update(
            session_id, lambda rec, now: self._to(rec, S.ACKNOWLEDGED), EventType.ACKNOWLEDGED
        )
        await self._drop_blobs(session_id, everything=True, keep=RECEIPTS)
        return record

    # -- the computer page

    async def page_session(self, page_token: PageToken) -> SessionRecord:
        """Read the session behind a page token (for status polling); ended sessions are returned too."""
        session_id = await self._session_for(TokenKind.PAGE, page_token.hash)
        record = await self._load(session_id, allow_ended=True)
        if not page_token.matches(record.page_token_hash):
            raise TokenInvalid()
        return record

    async def open_page(self, page_token: PageToken) -> SessionRecord:
        """The citizen opened the link: ``created → opened`` (idempotent afterwards)."""
        record = await self._page_record(page_token)
        if record.state is not S.CREATED:
            return record
        return await self._update(
            record.session_id, lambda rec, now: self._to(rec, S.OPENED, if_in={S.CREATED}), EventType.OPENED
        )

    # -- the phone

    async def app_session(self, app_token: AppToken) -> AppSession:
        """The app's capability. A token whose pairing code is not yet confirmed cannot act
        (``pairing_pending``)."""
        session_id = await self._session_for(TokenKind.APP, app_token.hash)
        record = await self._load(session_id)
        if app_token.matches(record.app_token_hash):
            return AppSession(session_id=record.session_id, record=record)
        if record.pairing is not None and app_token.matches(record.pairing.app_token_hash):
            raise PairingPending()
        raise TokenInvalid()

    async def touch(self, app: AppSession) -> SessionRecord:
        """The citizen is still there (e.g. reading the review): move the idle deadline, no event."""
        return await self._update(app.session_id, lambda rec, now: rec, None)

    async def mark_authenticated(
        self, app: AppSession, role: Role, loa: Loa, subject_hash: TokenHash, *, to_consent: bool = False
    ) -> SessionRecord:
        """DigiD login of the applicant (``paired → authenticated``) or partner (``partner_pending →
        partner_authenticated``). A repeated login in the same phase refreshes the level of assurance;
        ``to_consent`` is a new login on the review page of a person who logged in before.

        ``subject_hash`` is the keyed hash of who logged in: a later login for the role must be the same
        person (``login_mismatch``), and the partner cannot be the applicant (``partner_mismatch``). Checked
        inside the update, so two logins racing cannot both pass."""

        def login(rec: SessionRecord, now: datetime) -> SessionRecord:
            subject = self._subject(rec, role)
            if to_consent:
                if rec.state is not S.REVIEW or subject.subject_hash is None:
                    raise InvalidTransition(rec.state.value, "authenticated")
            else:
                first = S.PAIRED if role == "applicant" else S.PARTNER_PENDING
                phase = _APPLICANT_PHASE if role == "applicant" else _PARTNER_PHASE
                if rec.state is first:
                    rec.state = transition(
                        rec.state, S.AUTHENTICATED if role == "applicant" else S.PARTNER_AUTHENTICATED
                    )
                elif rec.state not in phase:
                    raise InvalidTransition(rec.state.value, "authenticated")
            if subject.subject_hash is not None and not hashes_equal(subject.subject_hash, subject_hash):
                raise LoginMismatch()
            other = rec.subjects.get("partner" if role == "applicant" else "applicant")
            if other is not None and hashes_equal(other.subject_hash, subject_hash):
                raise PartnerIsApplicant()
            subject.loa = loa
            subject.authenticated_at = now
            subject.authenticated_by = "digid_reauthentication" if to_consent else "digid_login"
            subject.subject_hash = subject_hash
            return rec

        return await self._update(app.session_id, login, EventType.AUTHENTICATED, subject=role)

    async def source_started(self, app: AppSession, role: Role, source: SourceName) -> SessionRecord:
        def start(rec: SessionRecord, now: datetime) -> SessionRecord:
            progress = self._collecting(rec, role, source)
            progress.status = SourceStatus.FETCHING
            progress.attempts += 1
            progress.error_code = None
            progress.fetching_until = now + timedelta(seconds=self.settings.fetch_lease_seconds)
            return rec

        return await self._update(
            app.session_id, start, EventType.SOURCE_STARTED, subject=role, source=source
        )

    async def source_completed(
        self, app: AppSession, role: Role, source: SourceName, records: int
    ) -> SessionRecord:
        if records < 0:
            raise InvalidRequest("a record count cannot be negative")

        def complete(rec: SessionRecord, now: datetime) -> SessionRecord:
            progress = self._collecting(rec, role, source)
            progress.status, progress.records, progress.error_code = SourceStatus.DONE, records, None
            progress.fetching_until = None
            return rec

        return await self._update(
            app.session_id, complete, EventType.SOURCE_COMPLETED, subject=role, source=source
        )

    async def source_failed(
        self, app: AppSession, role: Role, source: SourceName, code: str
    ) -> SessionRecord:
        """``code`` is the connector's stable error code (e.g. ``source_unavailable``), never a message."""
        if not _ERROR_CODE.fullmatch(code):
            raise InvalidRequest("an error code is lower-case letters, digits and underscores")

        def fail(rec: SessionRecord, now: datetime) -> SessionRecord:
            progress = self._collecting(rec, role, source)
            progress.status, progress.records, progress.error_code = SourceStatus.FAILED, 0, code
            progress.fetching_until = None
            return rec

        return await self._update(
            app.session_id, fail, EventType.SOURCE_FAILED, subject=role, source=source, code=code
        )

    async def source_skipped(self, app: AppSession, role: Role, source: SourceName) -> SessionRecord:
        def skip(rec: SessionRecord, now: datetime) -> SessionRecord:
            progress = self._collecting(rec, role, source)
            progress.status, progress.records, progress.error_code = SourceStatus.SKIPPED, 0, None
            progress.fetching_until = None
            return rec

        return await self._update(app.session_id, skip, EventType.SOURCE_SKIPPED, subject=role, source=source)

    async def require_partner(self, app: AppSession) -> SessionRecord:
        """The applicant is done; the partner logs in next (``collecting → partner_pending``)."""

        def partner_next(rec: SessionRecord, now: datetime) -> SessionRecord:
            if rec.partner_mode == "off":
                raise PartnerNotAllowed()
            self._no_fetching(rec, "applicant", now)
            rec.state = transition(rec.state, S.PARTNER_PENDING)
            rec.progress("partner")
            return rec

        return await self._update(app.session_id, partner_next, EventType.PARTNER_REQUIRED)

    async def partner_absent(self, app: AppSession, reason: PartnerAbsentReason) -> SessionRecord:
        """The partner cannot log in now (``partner_pending → review``), the citizen's reason recorded for the
        package. ``skipped`` only for a partner neither required nor expected (the data merely name one)."""

        def without_partner(rec: SessionRecord, now: datetime) -> SessionRecord:
            if rec.state is not S.PARTNER_PENDING:
                raise InvalidTransition(rec.state.value, S.REVIEW.value)
            if reason == "skipped" and (rec.partner_mode != "optional" or rec.partner_expected):
                raise PartnerRequired()
            rec.state = transition(rec.state, S.REVIEW)
            rec.partner_absent = reason
            return rec

        return await self._update(app.session_id, without_partner, EventType.REVIEW, subject="partner")

    async def back_to_sources(self, app: AppSession) -> SessionRecord:
        """From the review back to the sources of the last person: the partner's if they logged in, the
        partner step if it was left without them (the reason dropped: they may log in now), else the
        applicant's. Nothing is consented in review, so nothing is lost; the next review is reached the usual
        way. No event: the state is shown again by the next step's."""

        def back(rec: SessionRecord, now: datetime) -> SessionRecord:
            if rec.state is not S.REVIEW:
                raise InvalidTransition(rec.state.value, S.COLLECTING.value)
            partner = rec.subjects.get("partner")
            if partner is not None and partner.authenticated_at is not None:
                rec.state = transition(rec.state, S.PARTNER_COLLECTING)
            elif partner is not None:
                rec.state = transition(rec.state, S.PARTNER_PENDING)
                rec.partner_absent = None
            else:
                rec.state = transition(rec.state, S.COLLECTING)
            return rec

        return await self._update(app.session_id, back, None)

    async def to_review(self, app: AppSession) -> SessionRecord:
        def review(rec: SessionRecord, now: datetime) -> SessionRecord:
            # from the partner step only with a reason (``partner_absent``), never silently
            if rec.state is S.PARTNER_PENDING or (rec.state is S.COLLECTING and rec.partner_expected):
                raise PartnerRequired()
            self._no_fetching(rec, "partner" if rec.state is S.PARTNER_COLLECTING else "applicant", now)
            rec.state = transition(rec.state, S.REVIEW)
            return rec

        return await self._update(app.session_id, review, EventType.REVIEW)

    async def cancel_by_citizen(self, app: AppSession) -> SessionRecord:
        return await self.cancel(app.session_id)

    # -- sealed data

    async def save_collected(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, plaintext: bytes
    ) -> None:
        """Seal what a source gave (parsed records as JSON, or the document) under the app's session key."""
        name = self._data_name(role, source)
        record = await self._load(app.session_id)
        if record.state in (S.CONSENTED, S.DELIVERED, S.ACKNOWLEDGED):
            raise InvalidTransition(record.state.value, S.COLLECTING.value)
        await self.store.put_blob(app.session_id, name, seal(key, app.session_id, name, plaintext))

    async def load_collected(
        self, app: AppSession, key: bytes, role: Role, source: SourceName
    ) -> bytes | None:
        name = self._data_name(role, source)
        sealed = await self.store.get_blob(app.session_id, name)
        return None if sealed is None else open_sealed(key, app.session_id, name, sealed)

    async def deliver(
        self, app: AppSession, roles: Sequence[Role], encrypted_package: bytes
    ) -> SessionRecord:
        """Each logged-in person's consent and the package (already a JWE to the provider's key), recorded in
        one update: ``review → consented → delivered``; the collected plaintext-at-rest is dropped and the
        pick-up window starts. Either all of it is recorded or nothing: no consent without its package.

        Every person who logged in must be in ``roles``. The events are those of the steps, in order
        (``consent.recorded`` for all but the last person, ``session.consented``, ``session.delivered``)."""
        await self._load(app.session_id)
        digest = hashlib.sha256(encrypted_package).hexdigest()
        await self.store.put_blob(app.session_id, package_blob(digest), SealedBytes(encrypted_package))

        def deliver(rec: SessionRecord, now: datetime) -> tuple[SessionRecord, list[_Step]]:
            if rec.state is not S.REVIEW:
                raise InvalidTransition(rec.state.value, S.DELIVERED.value)
            logged_in = {role for role, subject in rec.subjects.items() if subject.authenticated_at}
            if not roles or len(set(roles)) != len(roles) or set(roles) != logged_in:
                raise InvalidRequest("everyone who logged in, and only they, must consent")
            steps: list[_Step] = []
            for role in roles:
                rec.subjects[role].consented_at = now
                steps.append(_Step(EventType.CONSENT_RECORDED, S.REVIEW, role))
            steps[-1] = _Step(EventType.CONSENTED, S.CONSENTED, roles[-1])
            rec.state = transition(transition(rec.state, S.CONSENTED), S.DELIVERED)
            rec.delivered_at = now
            rec.package_sha256 = digest
            steps.append(_Step(EventType.DELIVERED, S.DELIVERED, None))
            rec.event_seq += len(steps)
            return rec, steps

        try:
            record, _ = await self._change(app.session_id, deliver, None, steps=lambda taken: taken)
        except SessionError:
            await self.store.delete_blob(app.session_id, package_blob(digest))
            raise
        await self._drop_blobs(app.session_id, everything=False)
        return record

    async def load_package(self, session_id: str, provider_id: str) -> bytes | None:
        record = await self.provider_session(session_id, provider_id)
        if record.state is not S.DELIVERED or record.package_sha256 is None:
            return None
        found = await self.store.get_blob(session_id, package_blob(record.package_sha256))
        return found if found is not None else await self.store.get_blob(session_id, PACKAGE_BLOB)

    # -- endings

    async def cancel(self, session_id: str) -> SessionRecord:
        return await self._end(session_id, S.CANCELLED, EventType.CANCELLED, None)

    async def fail(self, session_id: str, code: str) -> SessionRecord:
        if not _ERROR_CODE.fullmatch(code):
            raise InvalidRequest("an error code is lower-case letters, digits and underscores")
        return await self._end(session_id, S.FAILED, EventType.FAILED, code)

    async def expire_due(self, now: datetime | None = None, limit: int = 100) -> list[SessionId]:
        """Expire sessions past their deadline (idle, unfinished, or past the pick-up window) and drop their
        data. Run it periodically (any process; concurrent runs are safe)."""
        now = now or self.clock.now()
        expired: list[SessionId] = []
        for session_id in await self.store.due(now, limit):
            record = await self.store.get(session_id)
            if record is None:
                await self.store.delete(session_id)  # its keys died with the TTL; clear the stale index entry
                continue
            if is_final(record.state):
                continue
            if record.expires_at > now:
                await self.release_stale_fetches(session_id, record, now)
                continue
            try:
                await self._end(session_id, S.EXPIRED, EventType.EXPIRED, None)
            except (InvalidTransition, SessionNotFound):
                continue  # finished or deleted meanwhile
            expired.append(session_id)
        return expired

    async def release_stale_fetches(
        self, session_id: str, record: SessionRecord, now: datetime | None = None
    ) -> int:
        """Every source still "fetching" past its lease (its process died mid-fetch) becomes failed with
        ``source_interrupted``, one ``source.failed`` event each, so the page offers to fetch it again. Its
        data were never recorded as done: a fetch stores its sealed data before it marks the source done.
        Returns how many were released. Run by the expiry sweep, which the lease puts in the expiry index."""
        now = now or self.clock.now()
        stale = [
            (role, source)
            for role, subject in record.subjects.items()
            for source, progress in subject.sources.items()
            if progress.stale(now)
        ]
        released = 0
        for role, source in stale:

            def release(
                rec: SessionRecord, _at: datetime, role: Role = role, source: SourceName = source
            ) -> tuple[SessionRecord, bool]:
                progress = rec.subjects.get(role, SubjectProgress()).sources.get(source)
                if progress is None or not progress.stale(now):
                    return rec, False  # it ended (or started again) meanwhile
                progress.status, progress.records = SourceStatus.FAILED, 0
                progress.error_code, progress.fetching_until = SOURCE_INTERRUPTED, None
                return rec, True

            try:
                _, changed = await self._change(
                    session_id,
                    release,
                    lambda rec, changed: EventType.SOURCE_FAILED if changed else None,
                    subject=role,
                    source=source,
                    code=SOURCE_INTERRUPTED,
                    activity=False,
                )
            except SessionError:
                return released  # ended or gone meanwhile
            released += int(changed)
        if released:
            log.info("stale fetches released session=%s count=%d", session_id, released)
        return released

    # -- events and limits

    @asynccontextmanager
    async def watch(self, session_id: str, after_seq: int = 0) -> AsyncIterator[SessionWatch]:
        """``async with service.watch(id, last_event_id) as events:`` — history after ``after_seq``, then
        live events."""
        async with self.store.subscribe(session_id) as live:
            yield SessionWatch(self.store, session_id, after_seq, live)

    async def events_after(self, session_id: str, after_seq: int) -> list[SessionEvent]:
        """The kept events after ``after_seq``, oldest first (for polling instead of watching)."""
        return await self.store.events_after(session_id, after_seq)

    async def check_rate(self, key: str, limit: int, window_seconds: int) -> None:
        """Raise ``rate_limited`` after ``limit`` hits on ``key`` within the window.

        Keys are built from ids and addresses, never from personal values. The store sees the key's kind
        (before the first ``:``) and a keyed hash of the whole key: a client address is not written to
        the store, nor to its disk (Redis's append-only file). The processes share the secret, so the
        count."""
        if await self.store.incr_rate(self._rate_key(key), window_seconds) > limit:
            raise RateLimited(window_seconds)

    def _rate_key(self, key: str) -> str:
        kind = key.split(":", 1)[0]
        digest = hmac.new(self._rate_secret, key.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
        return f"{kind}:{digest}"

    # -- internals

    async def _session_for(self, kind: TokenKind, token_hash: TokenHash) -> SessionId:
        session_id = await self.store.find_by_token(kind, token_hash)
        if session_id is None:
            raise TokenInvalid()
        return session_id

    async def _page_record(self, page_token: PageToken) -> SessionRecord:
        session_id = await self._session_for(TokenKind.PAGE, page_token.hash)
        record = await self._load(session_id)
        if not page_token.matches(record.page_token_hash):
            raise TokenInvalid()
        return record

    async def _load(self, session_id: str, *, allow_ended: bool = False) -> SessionRecord:
        """The record, expiring it on the spot if its deadline passed; ended sessions raise unless allowed."""
        record = await self.store.get(session_id)
        if record is None:
            raise SessionNotFound()
        if not is_final(record.state) and record.expires_at <= self.clock.now():
            try:
                record = await self._end(session_id, S.EXPIRED, EventType.EXPIRED, None)
            except InvalidTransition:
                record = await self.store.get(session_id) or record
        if not allow_ended and record.state in _ENDED_ERRORS:
            raise _ENDED_ERRORS[record.state]()
        return record

    def _check_alive(self, rec: SessionRecord, now: datetime) -> None:
        if rec.state in _ENDED_ERRORS:
            raise _ENDED_ERRORS[rec.state]()
        if not is_final(rec.state) and rec.expires_at <= now:
            raise SessionExpired()

    async def _change(
        self,
        session_id: str,
        mutate: Callable[[SessionRecord, datetime], tuple[SessionRecord, Decision]],
        event: EventType | Callable[[SessionRecord, Decision], EventType | None] | None,
        *,
        subject: Role | None = None,
        source: SourceName | None = None,
        code: str | None = None,
        check_alive: bool = True,
        steps: Callable[[Decision], Sequence[_Step]] | None = None,
        activity: bool = True,
    ) -> tuple[SessionRecord, Decision]:
        """One compare-and-set update (deadline, activity and event seq kept right) with its event.

        ``mutate`` returns the changed record and what it decided (e.g. the pairing it replaced); the stored
        record comes back with the decision of the attempt that was stored (a conflict retries ``mutate``).
        ``event`` may be a function of both, for steps whose outcome is known only in the update.
        ``check_alive=False`` is for the endings themselves (the transition table still applies). ``steps``
        (with ``event=None``): an update that makes several steps, one event each (``deliver``).
        ``activity=False``: a change the broker makes on its own (releasing a dead fetch), which does not
        move the idle deadline.
        """
        now = self.clock.now()
        decisions: list[Decision] = []  # one per attempt; the store keeps the last one's record
        kinds: list[EventType | None] = []
        emitted: list[Sequence[SessionEvent]] = []
        befores: list[SessionState] = []

        def apply(rec: SessionRecord) -> SessionRecord:
            if check_alive:
                self._check_alive(rec, now)
            befores.append(rec.state)
            rec, decided = mutate(rec, now)
            rec.updated_at = now
            if activity:
                rec.last_activity_at = now
            rec.expires_at = self._deadline(rec)
            kind = event(rec, decided) if callable(event) else event
            if kind is not None:
                rec.event_seq += 1
            decisions.append(decided)
            kinds.append(kind)
            return rec

        def events_for(rec: SessionRecord) -> Sequence[SessionEvent]:
            # Stored and published by the store with the record (one round trip), so none is lost between.
            kind, decided = kinds[-1], decisions[-1]
            made: Sequence[SessionEvent] = ()
            if kind is not None:
                made = (self._event(rec, kind, subject=subject, source=source, code=code),)
            elif steps is not None:
                taken = steps(decided)
                first = rec.event_seq - len(taken) + 1
                made = tuple(
                    self._event(rec, step.kind, subject=step.subject, seq=first + offset, state=step.state)
                    for offset, step in enumerate(taken)
                )
            emitted.append(made)
            return made

        stored = await self.store.update(
            session_id,
            apply,
            ttl_for=lambda rec: self._store_ttl(rec, now),
            events_for=events_for,
            history=self.settings.event_history,
        )
        self._count_transitions(befores[-1], emitted[-1], stored.state)
        for made in emitted[-1]:
            await self._announce(stored, made)
        return stored, decisions[-1]

    def _count_transitions(
        self, before: SessionState, events: Sequence[SessionEvent], after: SessionState
    ) -> None:
        """The steps one stored update made, through the states its events name (``deliver`` makes two)."""
        current = before
        for state in (*(event.state for event in events), after):
            if state is not current:
                self.metrics.transition(current.value, state.value)
                current = state

    async def _update(
        self,
        session_id: str,
        mutate: Callable[[SessionRecord, datetime], SessionRecord],
        event: EventType | None,
        *,
        subject: Role | None = None,
        source: SourceName | None = None,
        code: str | None = None,
    ) -> SessionRecord:
        """``_change`` for a mutation that decides nothing beyond the record."""
        record, _ = await self._change(
            session_id,
            lambda rec, now: (mutate(rec, now), None),
            event,
            subject=subject,
            source=source,
            code=code,
        )
        return record

    def _deadline(self, rec: SessionRecord) -> datetime:
        if is_final(rec.state):
            return rec.expires_at
        if rec.state is S.DELIVERED and rec.delivered_at is not None:
            return rec.delivered_at + timedelta(seconds=self.settings.pickup_window_seconds)
        if rec.state in (S.CREATED, S.OPENED):
            return rec.lifetime_ends_at
        idle = rec.last_activity_at + timedelta(seconds=self.settings.idle_timeout_seconds)
        return min(rec.lifetime_ends_at, idle)

    def _store_ttl(self, rec: SessionRecord, now: datetime) -> float:
        if is_final(rec.state):
            return float(self.settings.final_retention_seconds)
        left = (rec.expires_at - now).total_seconds()
        return max(left, 0.0) + self.settings.store_grace_seconds

    def _event(
        self,
        record: SessionRecord,
        kind: EventType,
        *,
        subject: Role | None = None,
        source: SourceName | None = None,
        code: str | None = None,
        seq: int | None = None,
        state: SessionState | None = None,
    ) -> SessionEvent:
        """The event of the record's latest change; ``seq`` and ``state`` name an earlier step of an update
        that made several (``deliver``)."""
        return SessionEvent(
            session_id=record.session_id,
            seq=seq or record.event_seq,
            type=kind,
            state=state or record.state,
            counts=record.counts(),
            at=record.updated_at,
            subject=subject,
            source=source,
            code=code,
        )

    async def _announce(self, record: SessionRecord, event: SessionEvent) -> None:
        """This process's listener (the provider's webhook), once per event the store has kept."""
        if self.on_event is not None:
            await self.on_event(record, event)
        log.debug("session %s event %s state %s", record.session_id, event.type.value, record.state.value)

    async def _end(
        self, session_id: str, target: SessionState, kind: EventType, code: str | None
    ) -> SessionRecord:
        def end(rec: SessionRecord, now: datetime) -> tuple[SessionRecord, PendingPairing | None]:
            rec.state = transition(rec.state, target)
            rec.ended_code = code
            dropped, rec.pairing = rec.pairing, None
            return rec, dropped

        record, dropped = await self._change(session_id, end, kind, code=code, check_alive=False)
        await self._forget_pairing(dropped)
        await self._drop_blobs(session_id, everything=True)
        return record

    async def _forget_pairing(self, pairing: PendingPairing | None) -> None:
        if pairing is None:
            return
        await self.store.unindex_token(TokenKind.PAIRING, pairing.token_hash)
        if pairing.app_token_hash is not None:
            await self.store.unindex_token(TokenKind.APP, pairing.app_token_hash)

    async def _drop_blobs(self, session_id: str, *, everything: bool, keep: str | None = None) -> None:
        names = await self.store.blob_names(session_id)
        await asyncio.gather(
            *(
                self.store.delete_blob(session_id, name)
                for name in names
                if (everything or name.startswith(_DATA_PREFIX)) and not (keep and name.startswith(keep))
            )
        )

    def _to(
        self, rec: SessionRecord, target: SessionState, if_in: Iterable[SessionState] = ()
    ) -> SessionRecord:
        allowed = frozenset(if_in)
        if allowed and rec.state not in allowed:
            return rec
        rec.state = transition(rec.state, target)
        return rec

    def _subject(self, rec: SessionRecord, role: Role) -> SubjectProgress:
        if role == "partner" and rec.partner_mode == "off":
            raise PartnerNotAllowed()
        return rec.progress(role)

    def _collecting(self, rec: SessionRecord, role: Role, source: SourceName) -> SourceProgress:
        if source not in rec.sources:
            raise SourceNotRequested()
        phase = _APPLICANT_PHASE if role == "applicant" else _PARTNER_PHASE
        if rec.state not in phase:
            raise InvalidTransition(
                rec.state.value, "collecting" if role == "applicant" else "partner_collecting"
            )
        rec.state = transition(rec.state, S.COLLECTING if role == "applicant" else S.PARTNER_COLLECTING)
        return self._subject(rec, role).sources.setdefault(source, SourceProgress())

    def _no_fetching(self, rec: SessionRecord, role: Role, now: datetime) -> None:
        """Refuse to go on while a source is being fetched; one whose fetch was cut off (past its lease) is
        released as failed on the spot (``source_interrupted``) rather than holding the citizen up."""
        subject = rec.subjects.get(role)
        if subject is None:
            return
        for progress in subject.sources.values():
            if progress.stale(now):
                progress.status, progress.records = SourceStatus.FAILED, 0
                progress.error_code, progress.fetching_until = SOURCE_INTERRUPTED, None
        if any(p.status is SourceStatus.FETCHING for p in subject.sources.values()):
            raise SourcesPending()

    @staticmethod
    def _data_name(role: Role, source: SourceName) -> str:
        if source not in SOURCE_NAMES or role not in ("applicant", "partner"):
            raise InvalidRequest("unknown role or source")
        return f"{_DATA_PREFIX}{role}/{source}"
