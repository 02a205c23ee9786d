"""The session state machine of docs/design.md §4 as ONE table of allowed transitions."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from databrug.sessions.errors import InvalidTransition


class SessionState(StrEnum):
    CREATED = "created"
    OPENED = "opened"
    PAIRED = "paired"
    AUTHENTICATED = "authenticated"
    COLLECTING = "collecting"
    PARTNER_PENDING = "partner_pending"
    PARTNER_AUTHENTICATED = "partner_authenticated"
    PARTNER_COLLECTING = "partner_collecting"
    REVIEW = "review"
    CONSENTED = "consented"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FAILED = "failed"


S = SessionState

FINAL_STATES: Final = frozenset({S.ACKNOWLEDGED, S.CANCELLED, S.EXPIRED, S.FAILED})
ENDINGS: Final = frozenset({S.CANCELLED, S.EXPIRED, S.FAILED})

_FORWARD: Final[dict[SessionState, frozenset[SessionState]]] = {
    S.CREATED: frozenset({S.OPENED}),
    S.OPENED: frozenset({S.PAIRED}),
    S.PAIRED: frozenset({S.AUTHENTICATED}),
    S.AUTHENTICATED: frozenset({S.COLLECTING}),
    # Re-entering ``collecting`` (a retried or another source) keeps the state; the partner step is optional
    # or off for some providers, so ``review`` follows ``collecting`` directly then.
    S.COLLECTING: frozenset({S.COLLECTING, S.PARTNER_PENDING, S.REVIEW}),
    # The partner cannot log in now: on to the review without them, the reason recorded (``partner_absent``).
    S.PARTNER_PENDING: frozenset({S.PARTNER_AUTHENTICATED, S.REVIEW}),
    S.PARTNER_AUTHENTICATED: frozenset({S.PARTNER_COLLECTING}),
    S.PARTNER_COLLECTING: frozenset({S.PARTNER_COLLECTING, S.REVIEW}),
    # Back from the review to the sources of the last person (nothing is consented in review, nothing lost).
    S.REVIEW: frozenset({S.CONSENTED, S.COLLECTING, S.PARTNER_PENDING, S.PARTNER_COLLECTING}),
    S.CONSENTED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.ACKNOWLEDGED}),
}

TRANSITIONS: Final[dict[SessionState, frozenset[SessionState]]] = {
    state: (_FORWARD.get(state, frozenset()) | ENDINGS) if state not in FINAL_STATES else frozenset()
    for state in SessionState
}
"""Allowed targets per state. Every non-final state may end as cancelled, expired or failed."""


def can_transition(current: SessionState, target: SessionState) -> bool:
    return target in TRANSITIONS[current]


def transition(current: SessionState, target: SessionState) -> SessionState:
    """Return ``target`` if the table allows the step, else raise ``InvalidTransition``."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(current.value, target.value)
    return target


def is_final(state: SessionState) -> bool:
    return state in FINAL_STATES
