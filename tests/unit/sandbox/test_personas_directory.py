"""Finding personas by DigiD username and by BSN, for the catalogue and for generated households."""

from __future__ import annotations

import pytest

from databrug_sandbox.personas import directory
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.generator import generate_household
from databrug_sandbox.personas.identifiers import GENERATED_BLOCKS


def test_catalogue_logins_and_bsns_resolve_to_their_citizen() -> None:
    for household in CATALOGUE.values():
        for citizen in household.citizens():
            assert directory.find_by_username(citizen.digid.username) == (household, citizen)
            assert directory.find_by_bsn(citizen.bsn) == (household, citizen)


def test_generated_usernames_regenerate_the_household() -> None:
    for seed in (0, 3, 41, 999):
        expected = generate_household(seed)
        found = directory.find_by_username(f"gen-{seed}-a")
        assert found is not None
        household, citizen = found
        assert household == expected
        assert citizen == expected.applicant
        partner = directory.find_by_username(f"gen-{seed}-p")
        if expected.partner is None:
            assert partner is None
        else:
            assert partner is not None
            assert partner[1] == expected.partner


def test_generated_bsns_resolve_without_a_prior_login() -> None:
    directory._recent.clear()
    expected = generate_household(77)
    for citizen in expected.citizens():
        found = directory.find_by_bsn(citizen.bsn)
        assert found is not None
        assert found[0] == expected
        assert found[1] == citizen


def test_a_large_seed_shares_a_block_but_the_recent_login_wins() -> None:
    large = 5 + 3 * GENERATED_BLOCKS
    login = directory.find_by_username(f"gen-{large}-a")
    assert login is not None
    household, citizen = login
    assert household.seed == large
    found = directory.find_by_bsn(citizen.bsn)
    assert found is not None
    assert found[0].seed == large


def test_unknown_names_and_numbers() -> None:
    for username in (
        "",
        "nobody",
        "gen-",
        "gen-x-a",
        "gen-1-q",
        "gen--1-a",
        "gen-1-a-extra",
        "gen-1234567890123-a",
    ):
        assert directory.find_by_username(username) is None
    # A valid BSN outside the test range, a test-range BSN in an unused catalogue block, and a child's BSN.
    assert directory.find_by_bsn("111222333") is None
    assert directory.find_by_bsn("999902313") is None
    child = next(
        c.bsn
        for h in CATALOGUE.values()
        for person in [h.applicant.facts.person]
        if person is not None
        for c in person.children
        if c.bsn
    )
    assert child is not None
    assert directory.find_by_bsn(child) is None


def test_recent_households_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directory, "RECENT_LIMIT", 4)
    for seed in range(7):
        directory.generated(seed)
    assert list(directory._recent) == [3, 4, 5, 6]
