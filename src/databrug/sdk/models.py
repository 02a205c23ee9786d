"""Shapes of the provider API's answers (``/api/v1``). Unknown fields are ignored (forward compatible)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AccessToken(_Answer):
    access_token: str
    token_type: str
    expires_in: int


class CreatedSession(_Answer):
    """``POST /api/v1/sessions`` → 201."""

    id: str
    citizen_url: str
    state: str
    expires_at: datetime


class SessionStatus(_Answer):
    """``GET /api/v1/sessions/{id}``: state and counts only, never personal data."""

    id: str
    reference: str
    state: str
    sources: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


class SessionEvent(_Answer):
    """One step of a session (``session.paired``, ``source.completed``, ``session.delivered``, …).

    ``id`` is the event's sequence number in the session (the broker calls it ``seq``): pass the last one
    seen as ``after`` (polling) or ``last_event_id`` (SSE) to continue where you left off. Events carry
    states, counts and codes — never personal data.
    """

    id: int = Field(validation_alias=AliasChoices("id", "seq"))
    type: str
    state: str | None = None
    at: datetime | None = None
    session_id: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    subject: str | None = None
    source: str | None = None
    code: str | None = Field(default=None, description="A stable error code on failure events")
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


FINAL_STATES = frozenset({"acknowledged", "cancelled", "expired", "failed"})
