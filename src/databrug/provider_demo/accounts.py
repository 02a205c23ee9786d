"""Caseworker accounts: scrypt password hashes, login sessions (hashed tokens) with a CSRF token each."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from databrug.provider_demo.storage.tables import Caseworker, LoginSession

_K = TypeVar("_K")
_V = TypeVar("_V")

# scrypt parameters: n=2**14, r=8, p=1 (RFC 7914's interactive-login recommendation), 16 MiB memory.
_N, _R, _P, _LEN = 2**14, 8, 1, 32


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN)
    encode = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH = hash_password("not-a-real-password", salt=b"0" * 16)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class Login:
    username: str
    display_name: str
    is_admin: bool
    csrf_token: str


def add_caseworker(
    db: Session, username: str, password: str, display_name: str, *, is_admin: bool = False
) -> None:
    existing = db.get(Caseworker, username)
    if existing is None:
        db.add(
            Caseworker(
                username=username,
                display_name=display_name,
                password_hash=hash_password(password),
                is_admin=is_admin,
            )
        )
    else:
        existing.password_hash = hash_password(password)
        existing.display_name = display_name
        existing.is_admin = is_admin


def log_in(db: Session, username: str, password: str, hours: int) -> str | None:
    """A new session token for the cookie, or None (same work either way, so timing tells nothing)."""
    worker = db.get(Caseworker, username)
    if not verify_password(password, worker.password_hash if worker else _DUMMY_HASH) or worker is None:
        return None
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    db.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    db.add(
        LoginSession(
            token_hash=_token_hash(token),
            username=worker.username,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return token


def current_login(db: Session, token: str | None) -> Login | None:
    if not token:
        return None
    row = db.execute(
        select(LoginSession, Caseworker)
        .join(Caseworker, Caseworker.username == LoginSession.username)
        .where(LoginSession.token_hash == _token_hash(token))
    ).first()
    if row is None:
        return None
    session, worker = row
    if session.expires_at <= datetime.now(UTC):
        return None
    return Login(worker.username, worker.display_name, worker.is_admin, session.csrf_token)


def log_out(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))


def same_secret(expected: str, sent: str) -> bool:
    """Constant-time comparison of any text a browser sent (``compare_digest`` refuses non-ASCII ``str``)."""
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), sent.encode("utf-8", "surrogatepass")
    )


def csrf_ok(login: Login, submitted: str | None) -> bool:
    return bool(submitted) and same_secret(login.csrf_token, submitted or "")


class LoginThrottle:
    """Slows password guessing without letting a guesser lock the caseworker out. In-process.

    - Per (username, client address): after ``limit`` failures within ``window`` seconds, that pair is
      refused without checking the password until the window has passed. Only the guesser's address is
      locked; the caseworker's own address is not.
    - Per username, from all addresses together: past ``slow_after`` failures within the window, each
      attempt from an address that has not logged in as that user before waits a growing delay (doubling,
      at most ``max_delay`` seconds) before its password is checked. Never a refusal, and none at all from
      the addresses the caseworker logged in from (``succeeded``).

    Refused attempts are not counted (their password is not checked), so one address adds at most ``limit``
    failures per window to the username's count: it takes many addresses to slow a username down at all.
    A logged-in caseworker's session is never looked at here.
    """

    _MAX_KEYS = 10_000  # bounded memory: past it the oldest entries are dropped
    _USUAL_PER_USER = 8

    def __init__(
        self,
        limit: int = 5,
        window: float = 15 * 60,
        *,
        slow_after: int = 10,
        first_delay: float = 0.5,
        max_delay: float = 8.0,
    ) -> None:
        self.limit, self.window = limit, window
        self.slow_after, self.first_delay, self.max_delay = slow_after, first_delay, max_delay
        self._by_pair: dict[tuple[str, str], list[float]] = {}
        self._by_user: dict[str, list[float]] = {}
        self._usual: dict[str, list[str]] = {}

    def locked(self, username: str, address: str, now: float) -> bool:
        """Refuse this attempt without checking the password: this address guessed too often."""
        return len(_recent(self._by_pair, (username.casefold(), address), now, self.window)) >= self.limit

    def delay(self, username: str, address: str, now: float) -> float:
        """Seconds to wait before checking this attempt's password (0 from the caseworker's usual address)."""
        user = username.casefold()
        if address in self._usual.get(user, ()):
            return 0.0
        excess = len(_recent(self._by_user, user, now, self.window)) - self.slow_after
        return 0.0 if excess < 0 else min(self.max_delay, self.first_delay * 2.0**excess)

    def failed(self, username: str, address: str, now: float) -> None:
        user = username.casefold()
        self._by_pair.setdefault((user, address), []).append(now)
        self._by_user.setdefault(user, []).append(now)
        _bound(self._by_pair, self._MAX_KEYS)
        _bound(self._by_user, self._MAX_KEYS)

    def succeeded(self, username: str, address: str) -> None:
        user = username.casefold()
        self._by_pair.pop((user, address), None)
        usual = [a for a in self._usual.get(user, []) if a != address]
        self._usual[user] = [address, *usual][: self._USUAL_PER_USER]
        _bound(self._usual, self._MAX_KEYS)


def _recent(table: dict[_K, list[float]], key: _K, now: float, window: float) -> list[float]:
    recent = [t for t in table.get(key, []) if t > now - window]
    if recent:
        table[key] = recent
    else:
        table.pop(key, None)
    return recent


def _bound(table: dict[_K, _V], limit: int) -> None:
    if len(table) > limit:
        for key in list(table)[: limit // 10]:
            table.pop(key, None)
