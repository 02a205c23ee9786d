"""Logging in with DigiD: the level the broker requires, the login state the phone keeps (sealed) between
the redirect and the callback, and the keyed hash that ties a login to the session without keeping the BSN.
Who may log in as which person is ``review.Reviewing.check_login`` and ``SessionService.mark_authenticated``.

The phone keeps each person's login (BSN and DigiD token) in a cookie sealed under the session key, which the
phone itself holds: so a phone could write any BSN in it. The session record therefore keeps, per person, an
HMAC of who logged in (``subject_hash``), and every use of the cookie's BSN is checked against it
(``check_subject``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import datetime
from typing import Any, Literal, get_args

from databrug.broker.errors import BrokerError
from databrug.identity.levels import Level
from databrug.identity.oidc import DigidClient, DigidLogin, LoginRequest
from databrug.records import Role
from databrug.records.consent import CONSENT_LOGIN_WINDOW
from databrug.sessions.model import SessionRecord
from databrug.sessions.service import Loa
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import TokenHash, hashes_equal

DIGID_LEVEL: Level = "midden"
"""The least a DigiD login must assert (SMS check): the broker's rule, never read back from a cookie."""

LoginPurpose = Literal["collect", "consent"]
"""``collect``: the login that starts a person's part (sources); ``consent``: a new login of a person who
logged in before, from the review page, so that their consent follows their own login closely."""
LOGIN_PURPOSES: tuple[LoginPurpose, ...] = get_args(LoginPurpose)

_SUBJECT_HASH_CONTEXT = b"databrug/digid-subject/v1"


def subject_hash(secret: bytes, session_id: str, bsn: str) -> TokenHash:
    """HMAC-SHA256 of the DigiD subject, under a key derived from the broker secret, bound to the session:
    equal for the same person in the same session, useless elsewhere, and no BSN on the record. The role is
    left out on purpose, so the session can tell the partner is not the applicant."""
    key = hmac.new(secret, _SUBJECT_HASH_CONTEXT, hashlib.sha256).digest()
    message = f"{session_id}\n{bsn}".encode()
    return TokenHash(hmac.new(key, message, hashlib.sha256).hexdigest())


def check_subject(secret: bytes, record: SessionRecord, role: Role, bsn: str) -> None:
    """The BSN the phone presents for ``role`` is the person who logged in as it (``digid_token_invalid``
    otherwise: the phone's login is not to be trusted, log in again)."""
    progress = record.subjects.get(role)
    stored = progress.subject_hash if progress is not None else None
    if not hashes_equal(stored, subject_hash(secret, record.session_id, bsn)):
        raise BrokerError("digid_token_invalid", "this DigiD login is not the one recorded for this person")


def login_is_fresh(record: SessionRecord, role: Role, now: datetime) -> bool:
    """Whether this person's latest DigiD login is recent enough for their consent."""
    progress = record.subjects.get(role)
    if progress is None or progress.authenticated_at is None or progress.subject_hash is None:
        return False
    return now - progress.authenticated_at <= CONSENT_LOGIN_WINDOW


def check_consent_login(record: SessionRecord, role: Role) -> None:
    """A login to consent is for a person who logged in before, from the review (``invalid_request``)."""
    progress = record.subjects.get(role)
    if record.state is not SessionState.REVIEW or progress is None or progress.subject_hash is None:
        raise BrokerError("invalid_request", "only a person who logged in can log in again to consent")


async def start_login(
    digid: DigidClient, redirect_uri: str, role: Role, purpose: LoginPurpose = "collect"
) -> tuple[str, dict[str, Any]]:
    """The URL to send the phone to, and the login state to keep (sealed) until the callback."""
    url, login = await digid.start(redirect_uri, minimum=DIGID_LEVEL)
    return url, {"role": role, "purpose": purpose, **login.to_dict()}


async def finish_login(
    digid: DigidClient, params: dict[str, str], pending: dict[str, Any] | None
) -> tuple[Role, LoginPurpose, DigidLogin]:
    """Whose login this phone started and why, and the checked login. The phone holds the key that seals
    the pending state, so the required level comes from the broker's rule, not from the cookie; the role
    and purpose it names are checked again against the session when the login is recorded."""
    role, purpose, started = _pending_login(pending)
    return role, purpose, await digid.finish(params, started)


def _pending_login(pending: dict[str, Any] | None) -> tuple[Role, LoginPurpose, LoginRequest]:
    role = pending.get("role") if pending else None
    purpose = pending.get("purpose", "collect") if pending else None
    if pending is not None and role in ("applicant", "partner") and purpose in LOGIN_PURPOSES:
        try:
            return role, purpose, replace(LoginRequest.from_dict(pending), minimum=DIGID_LEVEL)
        except (KeyError, TypeError, ValueError):
            pass
    raise BrokerError("digid_state_invalid", "this DigiD answer does not belong to a login on this phone")


def recorded_level(login: DigidLogin) -> Loa:
    """The level kept on the session: a "hoog" login counts as "substantieel"."""
    return login.level if login.level != "hoog" else "substantieel"
