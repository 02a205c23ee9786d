"""Status events: what changed, the state and the counts. Never personal data (docs/design.md §3.2, §4)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from databrug.records import Role, SourceName
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import SessionId


class EventType(StrEnum):
    CREATED = "session.created"
    OPENED = "session.opened"
    PAIRING_SCANNED = "pairing.scanned"
    PAIRING_RESET = "pairing.reset"
    PAIRED = "session.paired"
    AUTHENTICATED = "subject.authenticated"
    SOURCE_STARTED = "source.started"
    SOURCE_COMPLETED = "source.completed"
    SOURCE_FAILED = "source.failed"
    SOURCE_SKIPPED = "source.skipped"
    PARTNER_REQUIRED = "partner.required"
    REVIEW = "session.review"
    CONSENT_RECORDED = "consent.recorded"
    CONSENTED = "session.consented"
    DELIVERED = "session.delivered"
    ACKNOWLEDGED = "session.acknowledged"
    CANCELLED = "session.cancelled"
    EXPIRED = "session.expired"
    FAILED = "session.failed"


class SessionEvent(BaseModel):
    """One entry of a session's event stream; ``seq`` is the SSE event id (``Last-Event-ID`` resumes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: SessionId
    seq: int
    type: EventType
    state: SessionState
    counts: dict[str, int]
    at: datetime
    subject: Role | None = None
    source: SourceName | None = None
    code: str | None = None
    """A stable error code (``source.failed``, ``session.failed``), never a message."""

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_json(cls, data: str | bytes) -> SessionEvent:
        return cls.model_validate_json(data)
