"""Received messages, newest first, bounded (a demo tool, not a mailbox)."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

MAX_MESSAGES = 500
MAX_MESSAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class CaughtMail:
    id: int
    received_at: datetime
    envelope_from: str
    envelope_to: tuple[str, ...]
    subject: str
    sender: str
    to: str
    text: str
    html: str | None
    raw_size: int
    headers: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "from": self.sender,
            "to": self.to,
            "envelope_to": list(self.envelope_to),
            "subject": self.subject,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "text": self.text, "html": self.html}


def _parts(message: EmailMessage) -> tuple[str, str | None]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part is not None else ""
    html = html_part.get_content() if html_part is not None else None
    return str(text), (str(html) if html is not None else None)


class MailStore:
    def __init__(self, capacity: int = MAX_MESSAGES) -> None:
        self._messages: deque[CaughtMail] = deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, envelope_from: str, envelope_to: list[str], raw: bytes) -> CaughtMail:
        parsed = message_from_bytes(raw[:MAX_MESSAGE_BYTES], policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        text, html = _parts(parsed)
        with self._lock:
            mail = CaughtMail(
                id=next(self._ids),
                received_at=datetime.now(UTC),
                envelope_from=envelope_from,
                envelope_to=tuple(envelope_to),
                subject=str(parsed.get("subject", "")),
                sender=str(parsed.get("from", "")),
                to=str(parsed.get("to", "")),
                text=text,
                html=html,
                raw_size=len(raw),
            )
            self._messages.appendleft(mail)
        return mail

    def all(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._messages)

    def get(self, mail_id: int) -> CaughtMail | None:
        return next((m for m in self.all() if m.id == mail_id), None)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
