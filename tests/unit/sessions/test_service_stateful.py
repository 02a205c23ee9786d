"""Random sequences of page, phone, provider and clock steps keep the session's invariants.

Invariants after every step: the state only moved along the transition table (no rule takes more than two
steps); event seqs are 1..n without gaps; an ended session holds no blobs and no pairing; only the phone
whose code was confirmed (or that started on the phone) gets an app session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from tests.support.subjects import SUBJECT

from databrug.records import Role, SourceName
from databrug.sessions.clock import ManualClock
from databrug.sessions.errors import SessionError
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.pairing import IssuedPairing, PairingGrant
from databrug.sessions.sealing import new_session_key
from databrug.sessions.service import AppSession, SessionService, SessionSettings
from databrug.sessions.state import FINAL_STATES, TRANSITIONS, SessionState
from databrug.sessions.tokens import AppToken, PairingToken

T = TypeVar("T")
S = SessionState
SOURCES: list[SourceName] = ["mijnoverheid", "uwv"]
SETTINGS = SessionSettings(idle_timeout_seconds=600, lifetime_seconds=3600, pairing_ttl_seconds=120)
PARTNER_PHASE = (S.PARTNER_PENDING, S.PARTNER_AUTHENTICATED, S.PARTNER_COLLECTING)
ROLES: list[Role] = ["applicant", "partner"]
STEPS = ["login", "start", "complete", "fail", "partner", "review", "consent", "save", "cancel"]


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock()
        self.store = MemorySessionStore()
        self.service = SessionService(self.store, self.clock, SETTINGS)
        record, self.page = self.run(self.service.create_session("p", "r", SOURCES, partner_mode="optional"))
        self.session_id = record.session_id
        self.state = record.state
        self.qr: list[PairingToken] = []
        self.grants: list[PairingGrant] = []
        self.confirmed: AppToken | None = None
        self.key = new_session_key()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def attempt(self, coroutine: Coroutine[Any, Any, object]) -> object:
        try:
            return self.run(coroutine)
        except SessionError as error:
            return error

    def teardown(self) -> None:
        self.loop.close()

    # -- the computer page

    @rule()
    def open_page(self) -> None:
        self.attempt(self.service.open_page(self.page))

    @rule()
    def issue_pairing(self) -> None:
        result = self.attempt(self.service.pairing.issue(self.page))
        if isinstance(result, IssuedPairing):
            self.qr.append(result.token)

    @rule(data=st.data(), right=st.booleans())
    def confirm(self, data: st.DataObject, right: bool) -> None:
        if not self.grants:
            return
        grant = data.draw(st.sampled_from(self.grants))
        code = grant.code if right else f"{(int(grant.code) + 1) % 10**6:06d}"
        result = self.attempt(self.service.pairing.confirm(self.page, code))
        if not isinstance(result, SessionError):
            assert right
            self.confirmed = grant.app_token

    @rule()
    def start_on_phone(self) -> None:
        result = self.attempt(self.service.pairing.start_on_phone(self.page))
        if isinstance(result, AppToken):
            self.confirmed = result

    # -- phones

    @rule(data=st.data())
    def scan(self, data: st.DataObject) -> None:
        if self.qr:
            self.scan_token(data.draw(st.sampled_from(self.qr)))

    def scan_token(self, token: PairingToken) -> None:
        result = self.attempt(self.service.pairing.pair(token))
        if isinstance(result, PairingGrant):
            self.grants.append(result)

    @rule(
        data=st.data(),
        step=st.sampled_from(STEPS),
        role=st.sampled_from(ROLES),
        source=st.sampled_from(SOURCES),
    )
    def phone_acts(self, data: st.DataObject, step: str, role: Role, source: SourceName) -> None:
        tokens = [g.app_token for g in self.grants] + ([self.confirmed] if self.confirmed else [])
        if not tokens:
            return
        token = data.draw(st.sampled_from(tokens))
        app = self.attempt(self.service.app_session(token))
        if not isinstance(app, AppSession):
            return
        assert token == self.confirmed, "an unconfirmed phone got an app session"
        steps: dict[str, Callable[[AppSession], Coroutine[Any, Any, object]]] = {
            "login": lambda a: self.service.mark_authenticated(a, role, "midden", SUBJECT[role]),
            "start": lambda a: self.service.source_started(a, role, source),
            "complete": lambda a: self.service.source_completed(a, role, source, 2),
            "fail": lambda a: self.service.source_failed(a, role, source, "source_unavailable"),
            "partner": self.service.require_partner,
            "review": self.service.to_review,
            "consent": lambda a: self.service.deliver(a, [role], b"jwe"),
            "save": lambda a: self.service.save_collected(a, self.key, role, source, b"sealed records"),
            "cancel": self.service.cancel_by_citizen,
        }
        self.attempt(steps[step](app))

    @rule(partner=st.booleans())
    def next_sensible_step(self, partner: bool) -> None:
        """The citizen doing the expected thing, so random runs also reach the late states."""
        state = self.run(self.service.provider_session(self.session_id, "p")).state
        if state in (S.CREATED, S.OPENED):
            if self.grants:
                self.attempt(self.service.pairing.confirm(self.page, self.grants[-1].code))
                self.confirmed = self.grants[-1].app_token
            elif self.qr:
                self.scan_token(self.qr[-1])
            else:
                self.issue_pairing()
            return
        app = self.attempt(self.service.app_session(self.confirmed)) if self.confirmed else None
        if not isinstance(app, AppSession):
            return
        role: Role = "partner" if state in PARTNER_PHASE else "applicant"
        subject = app.record.subjects.get(role)
        waiting = [s for s, p in subject.sources.items() if p.status.value != "done"] if subject else []
        if state in (S.PAIRED, S.PARTNER_PENDING):
            self.attempt(self.service.mark_authenticated(app, role, "substantieel", SUBJECT[role]))
        elif state in (S.AUTHENTICATED, S.PARTNER_AUTHENTICATED) or (
            waiting and state in (S.COLLECTING, S.PARTNER_COLLECTING)
        ):
            source = waiting[0] if waiting else SOURCES[0]
            self.attempt(self.service.source_started(app, role, source))
            self.attempt(self.service.source_completed(app, role, source, 1))
        elif state is S.COLLECTING and partner:
            self.attempt(self.service.require_partner(app))
        elif state in (S.COLLECTING, S.PARTNER_COLLECTING):
            self.attempt(self.service.to_review(app))
        elif state is S.REVIEW:
            subjects = app.record.subjects
            logged_in = [r for r in ROLES if r in subjects and subjects[r].authenticated_at]
            self.attempt(self.service.deliver(app, logged_in, b"jwe"))

    # -- provider and time

    @precondition(lambda self: self.state is S.DELIVERED)
    @rule()
    def acknowledge(self) -> None:
        self.attempt(self.service.acknowledge(self.session_id, "p"))

    @rule(seconds=st.sampled_from([1, 1, 1, 5, 60, 119, 121, 599, 601, 3601]))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @rule()
    def sweep(self) -> None:
        self.run(self.service.expire_due())

    # -- invariants

    @invariant()
    def moves_follow_the_table_and_ended_sessions_hold_nothing(self) -> None:
        record = self.run(self.store.get(self.session_id))
        assert record is not None
        one_step = TRANSITIONS[self.state]
        two_steps = {b for a in one_step for b in TRANSITIONS[a]}
        assert record.state is self.state or record.state in one_step | two_steps
        self.state = record.state
        if record.state in FINAL_STATES:
            assert record.pairing is None
            assert self.run(self.store.blob_names(self.session_id)) == []
        if record.state is S.DELIVERED:
            names = self.run(self.store.blob_names(self.session_id))
            assert not [name for name in names if name.startswith("data/")], "collected data dropped at send"
            assert len([name for name in names if name.startswith("package/")]) == 1

    @invariant()
    def events_are_numbered_without_gaps(self) -> None:
        seqs = [e.seq for e in self.run(self.store.events_after(self.session_id, 0))]
        assert seqs == list(range(1, len(seqs) + 1))

    @invariant()
    def only_the_confirmed_phone_gets_a_session(self) -> None:
        for grant in self.grants:
            if grant.app_token != self.confirmed:
                assert isinstance(self.attempt(self.service.app_session(grant.app_token)), SessionError)


SessionMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestSessionMachine = SessionMachine.TestCase
