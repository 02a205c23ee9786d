"""Caseworker accounts: scrypt password hashes, login sessions (hashed tokens) with a CSRF token each."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from databrug.provider_demo.storage.tables import Caseworker, LoginSession

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
    """Slows password guessing: after ``limit`` failures for a username within ``window`` seconds, further
    attempts fail (without checking the password) until the window has passed. In-process, per username."""

    def __init__(self, limit: int = 5, window: float = 15 * 60) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, list[float]] = {}

    def _recent(self, username: str, now: float) -> list[float]:
        recent = [t for t in self._failures.get(username.casefold(), []) if t > now - self.window]
        if recent:
            self._failures[username.casefold()] = recent
        else:
            self._failures.pop(username.casefold(), None)
        return recent

    def blocked(self, username: str, now: float) -> bool:
        return len(self._recent(username, now)) >= self.limit

    def failed(self, username: str, now: float) -> None:
        self._failures.setdefault(username.casefold(), []).append(now)
        if len(self._failures) > 10_000:  # bounded: drop the oldest entries
            for key in list(self._failures)[:1000]:
                self._failures.pop(key, None)

    def succeeded(self, username: str) -> None:
        self._failures.pop(username.casefold(), None)
