"""Pairing the phone with the session: the QR token and its short code, the phone's code, phone-only start.

The computer page holds the page token and asks for a QR pairing token (``issue``); the phone scans it
(``pair``) and gets an app token that works only once the computer confirms the code the phone shows
(``confirm``). A page opened on the phone itself pairs directly (``start_on_phone``). ``Pairing`` runs on the
``SessionService`` kernel (compare-and-set change, events, token index), so it uses the service's internals.

Short codes are for people whose phone camera does not work: 8 characters typed instead of scanning. The QR
code carries a long pairing token (256 bits) nobody can type. Beside it the computer page shows a short code
from an alphabet without look-alikes (no 0/O, 1/I/L). The code is not a second credential: it only finds the
current pairing token, which the store keeps sealed under a key derived from the code and the broker secret.
So the store holds neither the code nor a usable token, an old code stops working when the QR code renews (its
sealed token is replaced), and the token's own rules (single use, expiry) apply unchanged. Guessing: 31^8 ≈
8.5·10^11 codes against one live code per open page for two minutes, behind the pairing rate limit (30 tries
a minute per client).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from databrug.sessions.errors import (
    InvalidTransition,
    PairingCodeWrong,
    PairingLocked,
    PairingNotScanned,
    PairingTokenExpired,
    PairingTokenInvalid,
    PairingTokenUsed,
    SessionError,
    SessionNotFound,
    TokenInvalid,
)
from databrug.sessions.events import EventType
from databrug.sessions.model import PendingPairing, SessionRecord
from databrug.sessions.sealing import open_sealed, seal
from databrug.sessions.state import SessionState, transition
from databrug.sessions.tokens import (
    AppToken,
    PageToken,
    PairingToken,
    TokenHash,
    TokenKind,
    hash_pairing_code,
    hashes_equal,
    new_pairing_code,
    normalise_pairing_code,
)

if TYPE_CHECKING:
    from databrug.sessions.service import SessionService

S = SessionState
QR_ERROR: Final = "m"
"""Error correction level of the pairing QR code."""

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
_SHORT_CODE_BLOB = "pairing-short-code"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TYPED = re.compile(r"[\s.\-_]")


def pairing_tag(token_hash: TokenHash) -> str:
    """A short public name of one QR pairing (of its token's hash, itself of a 256-bit token): a QR page
    compares it with the session's current pairing to learn that another tab replaced its code."""
    return hashlib.sha256(b"pairing-tag:" + token_hash.encode("ascii")).hexdigest()[:16]


def current_pairing_tag(record: SessionRecord) -> str | None:
    return pairing_tag(record.pairing.token_hash) if record.pairing is not None else None


@dataclass(frozen=True)
class IssuedPairing:
    """What the computer page shows: the QR pairing token, the short code to type instead, the deadline."""

    token: PairingToken
    short_code: str
    expires_at: datetime

    @property
    def tag(self) -> str:
        return pairing_tag(self.token.hash)


@dataclass(frozen=True)
class PairingGrant:
    """What the phone gets when it scans the QR: its app token (inactive until the code is confirmed on the
    computer) and the code to show."""

    app_token: AppToken
    code: str
    confirm_before: datetime


@dataclass(frozen=True)
class _Confirmation:
    """What one confirmation attempt decided: the error to raise (if any), and the pairing it ended."""

    failure: SessionError | None = None
    dropped: PendingPairing | None = None
    consumed: PendingPairing | None = None


class Pairing:
    """The pairing steps of one ``SessionService`` (``service.pairing``); ``secret`` keys the short codes."""

    def __init__(self, kernel: SessionService, secret: bytes) -> None:
        self._kernel = kernel
        self._secret = secret

    async def issue(self, page_token: PageToken) -> IssuedPairing:
        """A fresh QR pairing token with its short code; the previous one (scanned or not) stops working."""
        kernel = self._kernel
        record = await kernel._page_record(page_token)
        if record.state not in (S.CREATED, S.OPENED):
            raise InvalidTransition(record.state.value, S.PAIRED.value)
        token = PairingToken.generate()
        await kernel.store.index_token(TokenKind.PAIRING, token.hash, record.session_id)
        expires_at = kernel.clock.now() + timedelta(seconds=kernel.settings.pairing_ttl_seconds)

        def issue(rec: SessionRecord, now: datetime) -> tuple[SessionRecord, PendingPairing | None]:
            if rec.state not in (S.CREATED, S.OPENED):
                raise InvalidTransition(rec.state.value, S.PAIRED.value)
            if rec.state is S.CREATED:
                rec.state = transition(rec.state, S.OPENED)
            replaced, rec.pairing = rec.pairing, PendingPairing(token_hash=token.hash, expires_at=expires_at)
            return rec, replaced

        try:
            _, replaced = await kernel._change(record.session_id, issue, None)
        except SessionError:
            await kernel.store.unindex_token(TokenKind.PAIRING, token.hash)
            raise
        await kernel._forget_pairing(replaced)
        short_code = await self._attach_short_code(record.session_id, token)
        return IssuedPairing(token=token, short_code=short_code, expires_at=expires_at)

    async def confirm(self, page_token: PageToken, code: str) -> SessionRecord:
        """The computer confirms the code the phone shows: ``opened → paired``.

        A wrong code counts; after ``max_code_attempts`` the pairing is dropped (``pairing_locked``) and the
        page must show a new QR code. An expired code drops the pairing too (``pairing_token_expired``).
        """
        kernel = self._kernel
        record = await kernel._page_record(page_token)
        typed = normalise_pairing_code(code)

        def confirm(rec: SessionRecord, now: datetime) -> tuple[SessionRecord, _Confirmation]:
            pairing = rec.pairing
            if rec.state is not S.OPENED or pairing is None or not pairing.used or pairing.code_hash is None:
                raise PairingNotScanned()
            if now >= pairing.expires_at:
                rec.pairing = None
                return rec, _Confirmation(failure=PairingTokenExpired(), dropped=pairing)
            given = hash_pairing_code(typed, pairing.token_hash) if typed else None
            if not hashes_equal(given, pairing.code_hash):
                pairing.wrong_codes += 1
                left = kernel.settings.max_code_attempts - pairing.wrong_codes
                if left <= 0:
                    rec.pairing = None
                    return rec, _Confirmation(failure=PairingLocked(), dropped=pairing)
                return rec, _Confirmation(failure=PairingCodeWrong(left))
            rec.state = transition(rec.state, S.PAIRED)
            rec.app_token_hash = pairing.app_token_hash
            rec.pairing = None
            rec.paired_via = "qr"
            return rec, _Confirmation(consumed=pairing)

        def event_type(rec: SessionRecord, decided: _Confirmation) -> EventType | None:
            if decided.failure is None:
                return EventType.PAIRED
            return EventType.PAIRING_RESET if decided.dropped is not None else None

        stored, decided = await kernel._change(record.session_id, confirm, event_type)
        if decided.failure is None:
            if decided.consumed is not None:  # the QR token is spent; the app token it led to now works
                await kernel.store.unindex_token(TokenKind.PAIRING, decided.consumed.token_hash)
            return stored
        await kernel._forget_pairing(decided.dropped)
        raise decided.failure

    async def start_on_phone(self, page_token: PageToken) -> AppToken:
        """Phone-only journey: the page is open on the phone itself, so its deep link pairs directly
        (no QR, no code); any QR pairing in flight is dropped."""
        kernel = self._kernel
        record = await kernel._page_record(page_token)
        if record.state not in (S.CREATED, S.OPENED):
            raise InvalidTransition(record.state.value, S.PAIRED.value)
        app_token = AppToken.generate()
        await kernel.store.index_token(TokenKind.APP, app_token.hash, record.session_id)

        def pair_here(rec: SessionRecord, now: datetime) -> tuple[SessionRecord, PendingPairing | None]:
            if rec.state is S.CREATED:
                rec.state = transition(rec.state, S.OPENED)
            rec.state = transition(rec.state, S.PAIRED)
            replaced, rec.pairing = rec.pairing, None
            rec.app_token_hash = app_token.hash
            rec.paired_via = "phone"
            return rec, replaced

        try:
            _, replaced = await kernel._change(record.session_id, pair_here, EventType.PAIRED)
        except SessionError:
            await kernel.store.unindex_token(TokenKind.APP, app_token.hash)
            raise
        await kernel._forget_pairing(replaced)
        return app_token

    # -- the phone

    async def token_for(self, typed: str) -> PairingToken:
        """What the QR code carries (the link or its token), or the short code typed on the computer page."""
        text = typed.strip()
        if "t=dbq_" in text:
            text = text.split("t=", 1)[1].split("&", 1)[0]
        if text.startswith(PairingToken.prefix):
            return PairingToken.parse(text)
        code = normalise_short_code(text)
        if code is None:
            raise PairingTokenInvalid()
        return await self._resolve_short_code(code)

    async def pair(self, pairing_token: PairingToken) -> PairingGrant:
        """The phone scanned the QR code. Single use: a later scan of the same code is ``pairing_token_used``
        (a relayed QR is caught: the second device learns nothing, and the first must still have its code
        confirmed on the computer before its app token works)."""
        kernel = self._kernel
        session_id = await kernel.store.find_by_token(TokenKind.PAIRING, pairing_token.hash)
        if session_id is None:
            raise PairingTokenInvalid()
        app_token = AppToken.generate()
        code = new_pairing_code()
        confirm_before = kernel.clock.now() + timedelta(seconds=kernel.settings.pairing_ttl_seconds)
        try:
            await kernel.store.index_token(TokenKind.APP, app_token.hash, session_id)
        except SessionNotFound:
            raise PairingTokenInvalid() from None

        def scan(rec: SessionRecord, now: datetime) -> tuple[SessionRecord, None]:
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
            return rec, None

        try:
            await kernel._change(session_id, scan, EventType.PAIRING_SCANNED)
        except SessionError:
            await kernel.store.unindex_token(TokenKind.APP, app_token.hash)
            raise
        return PairingGrant(app_token=app_token, code=code, confirm_before=confirm_before)

    async def phone_status(
        self, app_token: AppToken
    ) -> tuple[Literal["pending", "confirmed"], SessionRecord]:
        """For the phone waiting on the code screen: has the computer confirmed it yet? With the session's
        record (its language and provider, for that screen)."""
        kernel = self._kernel
        session_id = await kernel._session_for(TokenKind.APP, app_token.hash)
        record = await kernel._load(session_id)
        if app_token.matches(record.app_token_hash):
            return "confirmed", record
        if record.pairing is not None and app_token.matches(record.pairing.app_token_hash):
            return "pending", record
        raise TokenInvalid()

    # -- short codes

    async def _attach_short_code(self, session_id: str, token: PairingToken) -> str:
        """Give the current pairing token a short code; returns it (shown once, on the computer page)."""
        store = self._kernel.store
        code = new_short_code()
        sealed = seal(self._derive("key", code), session_id, _SHORT_CODE_BLOB, token.reveal().encode("ascii"))
        await store.put_blob(session_id, _SHORT_CODE_BLOB, sealed)
        await store.index_token(TokenKind.PAIRING, self._index_hash(code), session_id)
        return code

    async def _resolve_short_code(self, code: str) -> PairingToken:
        """The pairing token a typed code stands for; ``pairing_token_invalid`` if the code is not current."""
        store = self._kernel.store
        session_id = await store.find_by_token(TokenKind.PAIRING, self._index_hash(code))
        if session_id is None:
            raise PairingTokenInvalid()
        sealed = await store.get_blob(session_id, _SHORT_CODE_BLOB)
        if sealed is None:
            raise PairingTokenInvalid()
        try:
            token = open_sealed(self._derive("key", code), session_id, _SHORT_CODE_BLOB, sealed)
        except SessionError:
            raise PairingTokenInvalid() from None
        return PairingToken.parse(token.decode("ascii"))

    def _derive(self, purpose: str, code: str) -> bytes:
        return hmac.new(
            self._secret, f"databrug short pairing code v1 {purpose}:{code}".encode("ascii"), "sha256"
        ).digest()

    def _index_hash(self, code: str) -> TokenHash:
        # a different text than any real token's SHA-256, so it can share the pairing index
        return TokenHash(hashlib.sha256(b"short:" + self._derive("index", code)).hexdigest())


def new_short_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display_short_code(code: str) -> str:
    """As shown to people: two groups of four, easier to read aloud and to type."""
    return f"{code[:4]}-{code[4:]}"


def normalise_short_code(typed: str) -> str | None:
    """What a person typed ("abcd efgh", "ABCD-EFGH") as a code; ``None`` if it cannot be one."""
    code = _TYPED.sub("", typed).upper().translate(_LOOKALIKES)
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code
