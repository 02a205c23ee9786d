"""A partner declared on the application (issue 15): asked for although the data name none, and when they
cannot log in the package goes without them, saying why; the consent names the person."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.unit.broker.fakes import (
    KEYS,
    PROVIDER,
    SOURCES,
    Phone,
    World,
    build_world,
    collect_all,
    log_in,
    registration,
    request,
)

from databrug.records import DataPackage
from databrug.sdk.crypto import decrypt_package
from databrug.sessions.sealing import new_session_key
from databrug.sessions.state import SessionState
from databrug_sandbox.personas.catalogue import CATALOGUE

SINGLE = CATALOGUE["single-renter-low-wage"]  # one person: the data name no partner


@pytest.fixture
async def world() -> AsyncIterator[World]:
    built = build_world("single-renter-low-wage")
    yield built
    await built.broker.close()


async def single_with_declared_partner(world: World, expected: bool) -> Phone:
    world.broker.registry.put(registration(KEYS.public_jwks, partner="optional"))
    sessions = world.broker.sessions
    _, page = await sessions.create_session(
        PROVIDER, "CASE-1", SOURCES, partner_mode="optional", partner_expected=expected
    )
    token = await sessions.pairing.start_on_phone(page)
    await log_in(world, await sessions.app_session(token), "applicant", SINGLE.applicant.bsn)
    phone = Phone(token, new_session_key())
    await collect_all(world, phone, "applicant", SINGLE.applicant.bsn)
    return phone


@pytest.mark.parametrize(("expected", "step"), [(True, "partner"), (False, "review")])
async def test_a_declared_partner_is_asked_for_although_the_data_name_none(
    world: World, expected: bool, step: str
) -> None:
    phone = await single_with_declared_partner(world, expected)
    app = await request(world, phone)
    assert await world.broker.expected_partner(app, phone.key) is None
    assert await world.broker.finish_sources(app, phone.key, True) == step


async def deliver(world: World, phone: Phone) -> DataPackage:
    app = await request(world, phone)
    await world.broker.deliver(app, phone.key, "nl", {"applicant": SINGLE.applicant.bsn})
    ciphertext = await world.broker.sessions.load_package(app.session_id, PROVIDER)
    assert ciphertext is not None
    return decrypt_package(ciphertext, KEYS.private_jwks)


async def test_without_the_partner_the_package_says_why(world: World) -> None:
    phone = await single_with_declared_partner(world, True)
    app = await request(world, phone)
    assert await world.broker.finish_sources(app, phone.key, True) == "partner"
    record = await world.broker.sessions.partner_absent(await request(world, phone), "no_digid")
    assert record.state is SessionState.REVIEW

    package = await deliver(world, phone)
    assert [subject.role for subject in package.subjects] == ["applicant"]
    assert package.partner_absent is not None
    assert package.partner_absent.reason == "no_digid"


async def test_a_package_with_everyone_says_nothing_of_an_absent_partner(world: World) -> None:
    phone = await single_with_declared_partner(world, False)
    assert await world.broker.finish_sources(await request(world, phone), phone.key, True) == "review"
    package = await deliver(world, phone)
    assert package.partner_absent is None
    assert "partner_absent" not in package.model_dump(mode="json")


async def test_the_consent_in_the_package_names_the_person(world: World) -> None:
    phone = await single_with_declared_partner(world, False)
    await world.broker.finish_sources(await request(world, phone), phone.key, True)
    package = await deliver(world, phone)
    person = package.subjects[0].person
    assert person is not None
    assert person.name.initials
    name = person.name
    signed = " ".join(part for part in (name.initials, name.prefix, name.surname) if part)
    assert package.consents[0].statement.startswith(f"Ik, {signed}, geef ")
