"""Lock an account for a while after too many wrong passwords or SMS codes (in memory, per account)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Record:
    failures: int = 0
    locked_until: float = 0.0


class Lockout:
    def __init__(
        self, threshold: int = 3, minutes: float = 15.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if threshold < 1:
            raise ValueError("lock-out threshold must be at least 1")
        self.threshold = threshold
        self.seconds = minutes * 60
        self._clock = clock
        self._records: dict[str, _Record] = {}

    def _key(self, username: str) -> str:
        return username.strip().casefold()

    def locked_for(self, username: str) -> float:
        """Seconds the account stays locked; 0 when it is not locked."""
        record = self._records.get(self._key(username))
        if record is None:
            return 0.0
        remaining = record.locked_until - self._clock()
        if remaining > 0:
            return remaining
        if record.locked_until:
            # The lock has run out: the account starts again with a clean count.
            del self._records[self._key(username)]
        return 0.0

    def failure(self, username: str) -> int:
        """Count a wrong attempt; returns the attempts left before the lock (0 = now locked)."""
        record = self._records.setdefault(self._key(username), _Record())
        record.failures += 1
        if record.failures >= self.threshold:
            record.locked_until = self._clock() + self.seconds
            return 0
        return self.threshold - record.failures

    def success(self, username: str) -> None:
        self._records.pop(self._key(username), None)

    def reset(self, username: str | None = None) -> None:
        if username is None:
            self._records.clear()
        else:
            self._records.pop(self._key(username), None)
