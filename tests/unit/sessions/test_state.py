"""The transition table matches docs/design.md §4, edge by edge."""

from __future__ import annotations

import itertools

import pytest

from databrug.sessions.errors import InvalidTransition, SessionError
from databrug.sessions.state import FINAL_STATES, TRANSITIONS, SessionState, can_transition, transition

# docs/design.md §4, written out by hand: the journey, the optional partner detour, the same-state re-entries
# of collecting (retries), and the three endings from every non-final state.
JOURNEY = [
    ("created", "opened"),
    ("opened", "paired"),
    ("paired", "authenticated"),
    ("authenticated", "collecting"),
    ("collecting", "collecting"),
    ("collecting", "partner_pending"),
    ("collecting", "review"),
    ("partner_pending", "partner_authenticated"),
    ("partner_pending", "review"),
    ("partner_authenticated", "partner_collecting"),
    ("partner_collecting", "partner_collecting"),
    ("partner_collecting", "review"),
    ("review", "consented"),
    ("review", "collecting"),
    ("review", "partner_pending"),
    ("review", "partner_collecting"),
    ("consented", "delivered"),
    ("delivered", "acknowledged"),
]
NON_FINAL = [
    "created", "opened", "paired", "authenticated", "collecting", "partner_pending", "partner_authenticated",
    "partner_collecting", "review", "consented", "delivered",
]  # fmt: skip
ENDINGS = [(state, end) for state in NON_FINAL for end in ("cancelled", "expired", "failed")]
ALLOWED = {(SessionState(a), SessionState(b)) for a, b in JOURNEY + ENDINGS}


def test_the_table_holds_exactly_the_designed_edges() -> None:
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_every_allowed_transition_is_taken(current: SessionState, target: SessionState) -> None:
    assert transition(current, target) is target
    assert can_transition(current, target)


FORBIDDEN = sorted(set(itertools.product(SessionState, SessionState)) - ALLOWED)


@pytest.mark.parametrize(
    ("current", "target"), [*FORBIDDEN[::7], ("created", "review"), ("review", "delivered")]
)
def test_a_forbidden_transition_raises_with_a_stable_code(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition) as raised:
        transition(SessionState(current), SessionState(target))
    assert isinstance(raised.value, SessionError)
    assert raised.value.code == "invalid_transition"
    assert not can_transition(SessionState(current), SessionState(target))


def test_final_states_have_no_way_out() -> None:
    assert {s.value for s in FINAL_STATES} == {"acknowledged", "cancelled", "expired", "failed"}
    for state in FINAL_STATES:
        assert TRANSITIONS[state] == frozenset()


def test_every_state_is_reachable_from_created() -> None:
    seen, todo = {SessionState.CREATED}, [SessionState.CREATED]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(SessionState)
