"""Every catalogue persona's journey, driven by the robot over real HTTP, with the memory store and Redis."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from tests.support.broker_server import BrokerServer
from tests.support.records import strip_refs

from databrug.purposes import bounded_subject, template
from databrug.robot.journey import Persona, run_journey
from databrug.robot.run import run_many
from databrug.sessions.state import SessionState
from databrug_sandbox.personas.catalogue import CATALOGUE

ORDER = [state.value for state in SessionState]
GEMEENTEPOLIS = template("gemeentepolis")


@dataclass(frozen=True)
class _Asked:
    wage_months: int
    tax_years: int


AT_THE_MAXIMA = _Asked(GEMEENTEPOLIS.max_wage_months, GEMEENTEPOLIS.max_tax_years)
EXPECTED_MILESTONES = [
    "session.created",
    "session.opened",
    "session.paired",
    "subject.authenticated",
    "source.completed",
    "session.review",
    "session.consented",
    "session.delivered",
    "session.acknowledged",
]


def test_every_catalogue_persona_completes(broker: BrokerServer, personas: dict[str, Persona]) -> None:
    results = asyncio.run(run_many(list(personas.values()), broker.endpoints(), "parallel", concurrency=4))
    failures = {r.persona: r.error for r in results if not r.ok}
    assert not failures
    for result in results:
        if result.outcome.startswith("refused as expected"):
            assert not personas[result.persona].applicant.sms_enabled or not (
                personas[result.persona].partner and personas[result.persona].partner.sms_enabled  # type: ignore[union-attr]
            )
            continue
        assert result.outcome == "delivered and acknowledged"
        assert result.decrypted is not None
        household = CATALOGUE[result.persona]
        for citizen in household.citizens():
            delivered = result.decrypted.subject(citizen.facts.role)
            assert delivered is not None, f"{result.persona}: no {citizen.facts.role} in the package"
            # the robot's sessions ask under its purpose (gemeentepolis), at the template's maxima
            expected = bounded_subject(
                GEMEENTEPOLIS, AT_THE_MAXIMA, citizen.facts, broker.broker.now().date()
            )
            assert strip_refs(delivered) == strip_refs(expected), f"{result.persona}: package != facts"
        positions = [result.events.index(m) for m in EXPECTED_MILESTONES]
        assert positions == sorted(positions), f"{result.persona}: events out of order: {result.events}"


def test_partner_is_in_the_package_when_the_data_names_one(
    broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    couple = personas["couple-both-employed"]
    result = asyncio.run(run_journey(couple, broker.endpoints(), "sequential"))
    assert result.ok, result.error
    assert set(result.package["subjects"]) == {"applicant", "partner"}
    assert "partner.required" in result.events


@pytest.mark.parametrize("persona", ["single-renter-low-wage", "retired-couple-many-pensions"])
def test_phone_only_journey_needs_no_qr(
    broker: BrokerServer, personas: dict[str, Persona], persona: str
) -> None:
    result = asyncio.run(run_journey(personas[persona], broker.endpoints(), "parallel", phone_only=True))
    assert result.ok, result.error
    assert not any("QR" in step["name"] for step in result.steps)
