"""The simulated phone: SMS codes land in an inbox that a person (page) or a test (API) can read.

The sandbox logs the code too: the log is part of the simulated phone. It never logs a password.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

logger = logging.getLogger("databrug_sandbox.digid.sms")

_KEEP_PER_USER = 10
# RvIG test logins carry a BSN ("rvig-<bsn>"); no BSN in a log line, so long digit runs are masked.
_DIGIT_RUN = re.compile(r"\d{8,}")


def loggable_username(username: str) -> str:
    return _DIGIT_RUN.sub(lambda m: "*" * len(m.group()), username)


@dataclass(frozen=True)
class SmsMessage:
    username: str
    phone: str
    code: str
    sent_at: datetime

    @property
    def text(self) -> str:
        return f"Uw DigiD sms-code is: {self.code} (SANDBOX — geen echte DigiD)"


def new_sms_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def mask_phone(phone: str) -> str:
    digits = [c for c in phone if c.isdigit()]
    return "06-******" + "".join(digits[-2:]) if len(digits) >= 2 else "06-********"


class SmsInbox:
    def __init__(self) -> None:
        self._messages: dict[str, deque[SmsMessage]] = {}

    def deliver(self, username: str, phone: str, code: str) -> SmsMessage:
        message = SmsMessage(username=username, phone=phone, code=code, sent_at=datetime.now(UTC))
        key = username.casefold()
        self._messages.setdefault(key, deque(maxlen=_KEEP_PER_USER)).append(message)
        logger.info(
            "sandbox SMS to %s for user %s: code %s", mask_phone(phone), loggable_username(username), code
        )
        return message

    def latest(self, username: str) -> SmsMessage | None:
        messages = self._messages.get(username.strip().casefold())
        return messages[-1] if messages else None

    def recent(self, limit: int = 50) -> list[SmsMessage]:
        everything = [m for queue in self._messages.values() for m in queue]
        return sorted(everything, key=lambda m: m.sent_at, reverse=True)[:limit]
