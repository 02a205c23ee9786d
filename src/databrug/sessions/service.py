"""The session operations the web layer calls: lifecycle, pairing, progress, expiry, sealed data, events.

Three faces, three credentials:

- the provider holds the session id (``ses_…``) and its API credentials → ``provider_session``, ``cancel``, …;
- the citizen's computer page holds the page token (``dbp_…``) → ``open_page``, ``issue_pairing``,
  ``confirm_pairing``, ``start_on_phone``;
- the citizen's phone app holds the app token (``dba_…``) → ``app_session`` gives an ``AppSession``, the
  capability every app-side operation takes.

Every change is one compare-and-set update of the record, then an event appended to the history and published.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from databrug.records import SOURCE_NAMES, Role, SourceName
from databrug.sessions.clock import Clock, SystemClock
from databrug.sessions.errors import (
    InvalidRequest,
    InvalidTransition,
    PairingCodeWrong,
    PairingLocked,
    PairingNotScanned,
    PairingPending,
    PairingTokenExpired,
    PairingTokenInvalid,
    PairingTokenUsed,
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
from databrug.sessions.fanout import Subscription
from databrug.sessions.model import (
    Pairing,
    PartnerMode,
    SessionRecord,
    SourceProgress,
    SourceStatus,
    SubjectProgress,
)
from databrug.sessions.sealing import SealedBytes, open_sealed, seal
from databrug.sessions.state import SessionState, is_final, transition
from databrug.sessions.store import SessionStore
from databrug.sessions.tokens import (
    AppToken,
    PageToken,
    PairingToken,
    SessionId,
    TokenHash,
    TokenKind,
    hash_pairing_code,
    hashes_equal,
    new_pairing_code,
    new_session_id,
    normalise_pairing_code,
)

log = logging.getLogger(__name__)

S = SessionState
EventListener = Callable[[SessionRecord, SessionEvent], Awaitable[None]]
Loa = Literal["basis", "midden", "substantieel"]

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


@dataclass(frozen=True)
class AppSession:
    """Proof that the caller presented the session's active app token (from ``app_session``)."""

    session_id: SessionId
    record: SessionRecord


@dataclass(frozen=True)
class PairingGrant:
    """What the phone gets when it scans the QR: its app token (inactive until the code is confirmed on the
    computer) and the code to show."""

    app_token: AppToken
    code: str
    confirm_before: datetime


class SessionWatch:
    """Events of one session after a given seq: the kept history first, then live, in seq order, no repeats.

    ``next(timeout)`` returns ``None`` on a timeout (send an SSE keep-alive) and raises ``StopAsyncIteration``
    when the live stream ended (store reconnect, slow reader): the client then reconnects with Last-Event-ID.
    """

    def __init__(self, store: SessionStore, session_id: str, after_seq: int, live: Subscription) -> None:
        self._store = store
        self._session_id = session_id
        self.last_seq = after_seq
        self._live = live
        self._pending: deque[SessionEvent] = deque()
        self._replayed = False

    async def next(self, timeout: float) -> SessionEvent | None:
        if not self._replayed:
            self._replayed = True
            self._pending.extend(await self._store.events_after(self._session_id, self.last_seq))
        while True:
            while self._pending:
                event = self._pending.popleft()
                if event.seq > self.last_seq:
                    self.last_seq = event.seq
                    return event
            live = await self._live.next(timeout)
            if live is None:
                return None
            event = live
            if event.seq <= self.last_seq:
                continue
            if event.seq > self.last_seq + 1:  # a gap: events published by other processes, out of order
                self._pending.extend(await self._store.events_after(self._session_id, self.last_seq))
                if not any(kept.seq == event.seq for kept in self._pending):
                    self._pending.append(event)
                continue
            self.last_seq = event.seq
            return event

    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        return self

    async def __anext__(self) -> SessionEvent:
        while True:
            event = await self.next(timeout=3600)
            if event is not None:
                return event


class SessionService:
    def __init__(
        self,
        store: SessionStore,
        clock: Clock | None = None,
        settings: SessionSettings | None = None,
        on_event: EventListener | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.settings = settings or SessionSettings()
        self.on_event = on_event
        """Called with every event this process emits (e.g. to queue the provider's webhook), once."""

    # -- creation and the provider's face

    async def create_session(
        self,
        provider_id: str,
        reference: str,
        sources: Sequence[SourceName],
        partner_mode: PartnerMode = "off",
        ttl_seconds: int | None = None,
    ) -> tuple[SessionRecord, PageToken]:
        """A new session for the provider; the page token goes into the citizen's link, once."""
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
            partner_expected=partner_mode == "required",
            page_token_hash=page_token.hash,
            event_seq=1,
        )
        record.progress("applicant")
        await self.store.create(record, self._store_ttl(record, now))
        await self.store.index_token(TokenKind.PAGE, page_token.hash, record.session_id)
        await self._emit(record, EventType.CREATED)
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
        """The provider has the package: drop the ciphertext, end the session."""
        await self.provider_session(session_id, provider_id)
        record = await self._change(
            session_id, lambda rec, now: self._to(rec, S.ACKNOWLEDGED), EventType.ACKNOWLEDGED
        )
        await self._drop_blobs(session_id, everything=True)
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
        return await self._change(
            record.session_id, lambda rec, now: self._to(rec, S.OPENED, if_in={S.CREATED}), EventType.OPENED
        )

    async def issue_pairing(self, page_token: PageToken) -> tuple[PairingToken, datetime]:
        """A fresh QR pairing token; the previous one (scanned or not) stops working."""
        record = await self._page_record(page_token)
        if record.state not in (S.CREATED, S.OPENED):
            raise InvalidTransition(record.state.value, S.PAIRED.value)
        token = PairingToken.generate()
        await self.store.index_token(TokenKind.PAIRING, token.hash, record.session_id)
        replaced: list[Pairing | None] = [None]
        expires_at = self.clock.now() + timedelta(seconds=self.settings.pairing_ttl_seconds)

        def issue(rec: SessionRecord, now: datetime) -> SessionRecord:
            if rec.state not in (S.CREATED, S.OPENED):
                raise InvalidTransition(rec.state.value, S.PAIRED.value)
            if rec.state is S.CREATED:
                rec.state = transition(rec.state, S.OPENED)
            replaced[0] = rec.pairing
            rec.pairing = Pairing(token_hash=token.hash, expires_at=expires_at)
            return rec

        try:
            await self._change(record.session_id, issue, None)
        except SessionError:
            await self.store.unindex_token(TokenKind.PAIRING, token.hash)
            raise
        await self._forget_pairing(replaced[0])
        return token, expires_at

    async def confirm_pairing(self, page_token: PageToken, code: str) -> SessionRecord:
        """The computer confirms the code the phone shows: ``opened → paired``.

        A wrong code counts; after ``max_code_attempts`` the pairing is dropped (``pairing_locked``) and the
        page must show a new QR code. An expired code drops the pairing too (``pairing_token_expired``).
        """
        record = await self._page_record(page_token)
        typed = normalise_pairing_code(code)
        outcome: list[SessionError | None] = [None]
        dropped: list[Pairing | None] = [None]
        consumed: list[Pairing | None] = [None]

        def confirm(rec: SessionRecord, now: datetime) -> SessionRecord:
            outcome[0], dropped[0], consumed[0] = None, None, None
            pairing = rec.pairing
            if rec.state is not S.OPENED or pairing is None or not pairing.used or pairing.code_hash is None:
                raise PairingNotScanned()
            if now >= pairing.expires_at:
                outcome[0], dropped[0], rec.pairing = PairingTokenExpired(), pairing, None
                return rec
            given = hash_pairing_code(typed, pairing.token_hash) if typed else None
            if not hashes_equal(given, pairing.code_hash):
                pairing.wrong_codes += 1
                left = self.settings.max_code_attempts - pairing.wrong_codes
                if left <= 0:
                    outcome[0], dropped[0], rec.pairing = PairingLocked(), pairing, None
                else:
                    outcome[0], rec.pairing = PairingCodeWrong(left), pairing
                return rec
            rec.state = transition(rec.state, S.PAIRED)
            rec.app_token_hash = pairing.app_token_hash
            consumed[0], rec.pairing = pairing, None
            rec.paired_via = "qr"
            return rec

        def event_type(rec: SessionRecord) -> EventType | None:
            if outcome[0] is None:
                return EventType.PAIRED
            return EventType.PAIRING_RESET if dropped[0] is not None else None

        stored = await self._change(record.session_id, confirm, event_type)
        failure = outcome[0]
        if failure is None:
            if consumed[0] is not None:  # the QR token is spent; the app token it led to now works
                await self.store.unindex_token(TokenKind.PAIRING, consumed[0].token_hash)
            return stored
        await self._forget_pairing(dropped[0])
        raise failure

    async def start_on_phone(self, page_token: PageToken) -> AppToken:
        """Phone-only journey: the page is open on the phone itself, so its deep link pairs directly
        (no QR, no code); any QR pairing in flight is dropped."""
        record = await self._page_record(page_token)
        if record.state not in (S.CREATED, S.OPENED):
            raise InvalidTransition(record.state.value, S.PAIRED.value)
        app_token = AppToken.generate()
        await self.store.index_token(TokenKind.APP, app_token.hash, record.session_id)
        replaced: list[Pairing | None] = [None]

        def pair_here(rec: SessionRecord, now: datetime) -> SessionRecord:
            if rec.state is S.CREATED:
                rec.state = transition(rec.state, S.OPENED)
            rec.state = transition(rec.state, S.PAIRED)
            replaced[0], rec.pairing = rec.pairing, None
            rec.app_token_hash = app_token.hash
            rec.paired_via = "phone"
            return rec

        try:
            await self._change(record.session_id, pair_here, EventType.PAIRED)
        except SessionError:
            await self.store.unindex_token(TokenKind.APP, app_token.hash)
            raise
        await self._forget_pairing(replaced[0])
        return app_token

    # -- the phone

    async def pair(self, pairing_token: PairingToken) -> PairingGrant:
        """The phone scanned the QR code. Single use: a later scan of the same code is ``pairing_token_used``
        (a relayed QR is caught: the second device learns nothing, and the first must still have its code
        confirmed on the computer before its app token works)."""
        session_id = await self.store.find_by_token(TokenKind.PAIRING, pairing_token.hash)
        if session_id is None:
            raise PairingTokenInvalid()
        app_token = AppToken.generate()
        code = new_pairing_code()
        confirm_before = self.clock.now() + timedelta(seconds=self.settings.pairing_ttl_seconds)
        try:
            await self.store.index_token(TokenKind.APP, app_token.hash, session_id)
        except SessionNotFound:
            raise PairingTokenInvalid() from None

        def scan(rec: SessionRecord, now: datetime) -> SessionRecord:
            pairing = rec.pairing
            if pairing is None or not pairing_token.matches(pairing.token_hash) or rec.state is not S.OPENED:
                raise PairingTokenInvalid()
            if pairing.used:
                raise PairingTokenUsed()
            if now >= pairing.expires_at:
                raise PairingTokenExpired()
            pairing.scanned_at = now
            pairing.expires_at = confirm_before
            pairing.app_token_hash = app_token.hash
            pairing.code_hash = hash_pairing_code(code, pairing.token_hash)
            return rec

        try:
            await self._change(session_id, scan, EventType.PAIRING_SCANNED)
        except SessionError:
            await self.store.unindex_token(TokenKind.APP, app_token.hash)
            raise
        return PairingGrant(app_token=app_token, code=code, confirm_before=confirm_before)

    async def phone_pairing_state(self, app_token: AppToken) -> Literal["pending", "confirmed"]:
        """For the phone waiting on the code screen: has the computer confirmed it yet?"""
        session_id = await self._session_for(TokenKind.APP, app_token.hash)
        record = await self._load(session_id)
        if app_token.matches(record.app_token_hash):
            return "confirmed"
        if record.pairing is not None and app_token.matches(record.pairing.app_token_hash):
            return "pending"
        raise TokenInvalid()

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
        return await self._change(app.session_id, lambda rec, now: rec, None)

    async def mark_authenticated(self, app: AppSession, role: Role, loa: Loa) -> SessionRecord:
        """DigiD login of the applicant (``paired → authenticated``) or partner (``partner_pending →
        partner_authenticated``). A repeated login in the same phase refreshes the level of assurance."""

        def login(rec: SessionRecord, now: datetime) -> SessionRecord:
            subject = self._subject(rec, role)
            first = S.PAIRED if role == "applicant" else S.PARTNER_PENDING
            phase = _APPLICANT_PHASE if role == "applicant" else _PARTNER_PHASE
            if rec.state is first:
                rec.state = transition(
                    rec.state, S.AUTHENTICATED if role == "applicant" else S.PARTNER_AUTHENTICATED
                )
            elif rec.state not in phase:
                raise InvalidTransition(rec.state.value, "authenticated")
            subject.loa = loa
            subject.authenticated_at = now
            return rec

        return await self._change(app.session_id, login, EventType.AUTHENTICATED, subject=role)

    async def source_started(self, app: AppSession, role: Role, source: SourceName) -> SessionRecord:
        def start(rec: SessionRecord, now: datetime) -> SessionRecord:
            progress = self._collecting(rec, role, source)
            progress.status = SourceStatus.FETCHING
            progress.attempts += 1
            progress.error_code = None
            return rec

        return await self._change(
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
            return rec

        return await self._change(
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
            return rec

        return await self._change(
            app.session_id, fail, EventType.SOURCE_FAILED, subject=role, source=source, code=code
        )

    async def source_skipped(self, app: AppSession, role: Role, source: SourceName) -> SessionRecord:
        def skip(rec: SessionRecord, now: datetime) -> SessionRecord:
            progress = self._collecting(rec, role, source)
            progress.status, progress.records, progress.error_code = SourceStatus.SKIPPED, 0, None
            return rec

        return await self._change(app.session_id, skip, EventType.SOURCE_SKIPPED, subject=role, source=source)

    async def require_partner(self, app: AppSession) -> SessionRecord:
        """The applicant is done; the partner logs in next (``collecting → partner_pending``)."""

        def partner_next(rec: SessionRecord, now: datetime) -> SessionRecord:
            if rec.partner_mode == "off":
                raise PartnerNotAllowed()
            self._no_fetching(rec, "applicant")
            rec.state = transition(rec.state, S.PARTNER_PENDING)
            rec.partner_expected = True
            rec.progress("partner")
            return rec

        return await self._change(app.session_id, partner_next, EventType.PARTNER_REQUIRED)

    async def to_review(self, app: AppSession) -> SessionRecord:
        def review(rec: SessionRecord, now: datetime) -> SessionRecord:
            if rec.state is S.COLLECTING and rec.partner_mode == "required":
                raise PartnerRequired()
            self._no_fetching(rec, "partner" if rec.state is S.PARTNER_COLLECTING else "applicant")
            rec.state = transition(rec.state, S.REVIEW)
            return rec

        return await self._change(app.session_id, review, EventType.REVIEW)

    async def consent(self, app: AppSession, role: Role) -> SessionRecord:
        """Each logged-in person consents to their own data; when all have, ``review → consented``."""
        recorded: list[bool] = [False]

        def agree(rec: SessionRecord, now: datetime) -> SessionRecord:
            if rec.state is not S.REVIEW:
                raise InvalidTransition(rec.state.value, S.CONSENTED.value)
            subject = rec.subjects.get(role)
            if subject is None or subject.authenticated_at is None:
                raise InvalidRequest("only a person who logged in can consent")
            recorded[0] = subject.consented_at is None
            if recorded[0]:
                subject.consented_at = now
            if all(s.consented_at for s in rec.subjects.values() if s.authenticated_at):
                rec.state = transition(rec.state, S.CONSENTED)
            return rec

        def event_type(rec: SessionRecord) -> EventType | None:
            if rec.state is S.CONSENTED:
                return EventType.CONSENTED
            return EventType.CONSENT_RECORDED if recorded[0] else None

        return await self._change(app.session_id, agree, event_type, subject=role)

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

    async def store_package(self, session_id: str, encrypted_package: bytes) -> SessionRecord:
        """Keep the package (already a JWE to the provider's key) for pick-up and drop the collected
        plaintext-at-rest: ``consented → delivered``; the pick-up window starts."""
        await self._load(session_id)
        await self.store.put_blob(session_id, PACKAGE_BLOB, SealedBytes(encrypted_package))

        def deliver(rec: SessionRecord, now: datetime) -> SessionRecord:
            rec = self._to(rec, S.DELIVERED)
            rec.delivered_at = now
            rec.package_sha256 = hashlib.sha256(encrypted_package).hexdigest()
            return rec

        try:
            record = await self._change(session_id, deliver, EventType.DELIVERED)
        except SessionError:
            await self.store.delete_blob(session_id, PACKAGE_BLOB)
            raise
        await self._drop_blobs(session_id, everything=False)
        return record

    async def load_package(self, session_id: str, provider_id: str) -> bytes | None:
        record = await self.provider_session(session_id, provider_id)
        if record.state is not S.DELIVERED:
            return None
        return await self.store.get_blob(session_id, PACKAGE_BLOB)

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
            if is_final(record.state) or record.expires_at > now:
                continue
            try:
                await self._end(session_id, S.EXPIRED, EventType.EXPIRED, None)
            except (InvalidTransition, SessionNotFound):
                continue  # finished or deleted meanwhile
            expired.append(session_id)
        return expired

    async def run_expiry(self, interval_seconds: float = 30.0) -> None:
        """Sweep forever (start one task per process from ``bootstrap``; cancel it on shutdown)."""
        while True:
            try:
                expired = await self.expire_due()
                if expired:
                    log.info("expired %d session(s)", len(expired))
            except SessionError as error:
                log.warning("session expiry sweep failed: %s", error.code)
            await asyncio.sleep(interval_seconds)

    # -- events and limits

    @asynccontextmanager
    async def watch(self, session_id: str, after_seq: int = 0) -> AsyncIterator[SessionWatch]:
        """``async with service.watch(id, last_event_id) as events:`` — history after ``after_seq``, then
        live events."""
        async with self.store.subscribe(session_id) as live:
            yield SessionWatch(self.store, session_id, after_seq, live)

    async def check_rate(self, key: str, limit: int, window_seconds: int) -> None:
        """Raise ``rate_limited`` after ``limit`` hits on ``key`` within the window.

        Keys are built from ids and addresses, never from personal values."""
        if await self.store.incr_rate(key, window_seconds) > limit:
            raise RateLimited(window_seconds)

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
        mutate: Callable[[SessionRecord, datetime], SessionRecord],
        event: EventType | Callable[[SessionRecord], EventType | None] | None,
        *,
        subject: Role | None = None,
        source: SourceName | None = None,
        code: str | None = None,
        check_alive: bool = True,
    ) -> SessionRecord:
        """One compare-and-set update (deadline, activity and event seq kept right), then the event.

        ``event`` may be a function of the new record, for steps whose outcome is known only in the update.
        ``check_alive=False`` is for the endings themselves (the transition table still applies).
        """
        now = self.clock.now()

        def apply(rec: SessionRecord) -> SessionRecord:
            if check_alive:
                self._check_alive(rec, now)
            rec = mutate(rec, now)
            rec.updated_at = rec.last_activity_at = now
            rec.expires_at = self._deadline(rec)
            kind = event(rec) if callable(event) else event
            if kind is not None:
                rec.event_seq += 1
            return rec

        stored = await self.store.update(session_id, apply, ttl_for=lambda rec: self._store_ttl(rec, now))
        kind = event(stored) if callable(event) else event
        if kind is not None:
            await self._emit(stored, kind, subject=subject, source=source, code=code)
        return stored

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

    async def _emit(
        self,
        record: SessionRecord,
        kind: EventType,
        *,
        subject: Role | None = None,
        source: SourceName | None = None,
        code: str | None = None,
    ) -> None:
        event = SessionEvent(
            session_id=record.session_id,
            seq=record.event_seq,
            type=kind,
            state=record.state,
            counts=record.counts(),
            at=record.updated_at,
            subject=subject,
            source=source,
            code=code,
        )
        await self.store.append_event(event, history=self.settings.event_history)
        await self.store.publish(event)
        if self.on_event is not None:
            await self.on_event(record, event)
        log.debug("session %s event %s state %s", record.session_id, kind.value, record.state.value)

    async def _end(
        self, session_id: str, target: SessionState, kind: EventType, code: str | None
    ) -> SessionRecord:
        dropped: list[Pairing | None] = [None]

        def end(rec: SessionRecord, now: datetime) -> SessionRecord:
            rec.state = transition(rec.state, target)
            rec.ended_code = code
            dropped[0], rec.pairing = rec.pairing, None
            return rec

        record = await self._change(session_id, end, kind, code=code, check_alive=False)
        await self._forget_pairing(dropped[0])
        await self._drop_blobs(session_id, everything=True)
        return record

    async def _forget_pairing(self, pairing: Pairing | None) -> None:
        if pairing is None:
            return
        await self.store.unindex_token(TokenKind.PAIRING, pairing.token_hash)
        if pairing.app_token_hash is not None:
            await self.store.unindex_token(TokenKind.APP, pairing.app_token_hash)

    async def _drop_blobs(self, session_id: str, *, everything: bool) -> None:
        names = await self.store.blob_names(session_id)
        await asyncio.gather(
            *(
                self.store.delete_blob(session_id, name)
                for name in names
                if everything or name.startswith(_DATA_PREFIX)
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

    def _no_fetching(self, rec: SessionRecord, role: Role) -> None:
        subject = rec.subjects.get(role)
        if subject and any(p.status is SourceStatus.FETCHING for p in subject.sources.values()):
            raise SourcesPending()

    @staticmethod
    def _data_name(role: Role, source: SourceName) -> str:
        if source not in SOURCE_NAMES or role not in ("applicant", "partner"):
            raise InvalidRequest("unknown role or source")
        return f"{_DATA_PREFIX}{role}/{source}"
