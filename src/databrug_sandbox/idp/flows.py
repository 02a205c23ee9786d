"""Server-side state of a login in progress and of issued authorization codes (in memory, short-lived)."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from databrug_sandbox.idp.levels import Level

Stage = Literal["credentials", "sms", "loa_not_met", "locked"]


@dataclass
class LoginFlow:
    """One authorization request on its way through the login pages (identified by an unguessable id)."""

    id: str
    client_id: str
    redirect_uri: str
    state: str | None
    nonce: str | None
    code_challenge: str
    scope: str
    minimum_level: Level | None
    stage: Stage = "credentials"
    username: str | None = None
    sms_code: str | None = None


@dataclass(frozen=True)
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    scope: str
    bsn: str
    level: Level
    auth_time: int


T = TypeVar("T")


class ExpiringStore(Generic[T]):
    """A bounded map whose entries vanish after ``ttl_seconds``; taking an entry removes it."""

    def __init__(
        self, ttl_seconds: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def _purge(self) -> None:
        now = self._clock()
        while self._entries:
            key, (expires, _) = next(iter(self._entries.items()))
            if expires > now and len(self._entries) <= self.max_entries:
                break
            del self._entries[key]

    def put(self, key: str, value: T) -> None:
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        self._purge()

    def get(self, key: str) -> T | None:
        self._purge()
        entry = self._entries.get(key)
        return entry[1] if entry else None

    def take(self, key: str) -> T | None:
        self._purge()
        entry = self._entries.pop(key, None)
        return entry[1] if entry else None

    def discard(self, key: str) -> None:
        self._entries.pop(key, None)


def new_handle() -> str:
    return secrets.token_urlsafe(32)
