"""The published purpose templates: loaded and validated from the packaged files, and the checks a
registration and a session's request go through (each over-ask refused, naming its field)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from databrug.purposes import (
    RECORD_KINDS,
    ParameterBound,
    PurposeExceeded,
    PurposeTemplate,
    PurposeUnknown,
    all_templates,
    check_registration,
    check_request,
    purpose_templates,
    purposes_document,
    template,
)
from databrug.records import SOURCE_NAMES


def test_both_templates_are_published_with_their_versions() -> None:
    assert [t.ref for t in all_templates()] == ["gemeentepolis@1", "schuldhulpverlening@1"]
    assert set(purpose_templates()) == {"gemeentepolis", "schuldhulpverlening"}
    assert template("gemeentepolis").version == template("gemeentepolis", "1").version == "1"


def test_the_gemeentepolis_template_is_narrow_and_carries_its_rule() -> None:
    polis = template("gemeentepolis")
    assert polis.source_names() == list(SOURCE_NAMES)
    assert "survivor_pensions" not in polis.sources["mijnpensioenoverzicht"]
    assert not polis.originals_allowed
    assert not polis.third_parties_allowed
    assert polis.max_wage_months == 12
    assert polis.max_tax_years == 2
    assert polis.rule is not None
    assert (polis.rule.id, polis.rule.version) == ("gemeentepolis-toets", "1.0")
    assert set(polis.rule.parameters) == {
        "percentage",
        "includes_holiday_allowance",
        "asset_test",
        "asset_limit_single",
        "asset_limit_family",
        "home_equity_rule",
    }
    assert polis.title["nl"]
    assert polis.title["en"]
    assert polis.summary["nl"]
    assert polis.summary["en"]


def test_the_debt_help_template_is_broad_without_a_rule() -> None:
    debt = template("schuldhulpverlening")
    for source, kinds in RECORD_KINDS.items():
        assert set(debt.sources[source]) == set(kinds)
    assert debt.originals_allowed
    assert debt.rule is None
    assert debt.max_wage_months == 24
    assert debt.max_tax_years == 3


def test_an_unknown_purpose_or_version_is_refused() -> None:
    with pytest.raises(PurposeUnknown):
        template("bijstand")
    with pytest.raises(PurposeUnknown):
        template("gemeentepolis", "9")


def test_the_well_known_document_lists_every_version() -> None:
    document = purposes_document()
    assert [(t["id"], t["version"]) for t in document["templates"]] == [
        ("gemeentepolis", "1"),
        ("schuldhulpverlening", "1"),
    ]
    assert PurposeTemplate.model_validate(document["templates"][0]) == template("gemeentepolis")


def _raw(**changes: Any) -> dict[str, Any]:
    raw = template("gemeentepolis").model_dump(mode="json")
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    "changes",
    [
        {"sources": {"uwv": {"tax_years": {}}}},  # a kind another source delivers
        {"sources": {"mijnoverheid": {"person": {"drop_fields": ["bsn"]}}}},  # a required field
        {"sources": {"uwv": {"relations": {"current_addresses_only": True}}}},
        {"title": {"nl": "alleen Nederlands"}},
        {"max_wage_months": 0},
        {"rule": {"id": "x", "version": "1", "parameters": {}}},  # an id too short
        {"unexpected": True},
    ],
)
def test_a_malformed_template_does_not_load(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PurposeTemplate.model_validate(_raw(**changes))


ALL = list(SOURCE_NAMES)


def test_a_registration_within_its_purpose_passes() -> None:
    check_registration(["gemeentepolis"], ALL, False, 365, [])
    check_registration(["schuldhulpverlening"], ALL, True, 1825, ["Bewindvoerder X"])


@pytest.mark.parametrize(
    ("purposes", "documents", "retention", "third_parties", "fields"),
    [
        (["gemeentepolis"], True, 365, [], ["want_documents"]),
        (["gemeentepolis"], False, 731, [], ["retention_days"]),
        (["gemeentepolis"], False, 365, ["Incassobureau"], ["third_parties"]),
        (["gemeentepolis"], True, 5000, ["X"], ["want_documents", "retention_days", "third_parties"]),
        # it must fit each purpose it names: originals suit debt help, not the Gemeentepolis
        (["schuldhulpverlening", "gemeentepolis"], True, 365, [], ["want_documents"]),
        (["schuldhulpverlening"], False, 1826, [], ["retention_days"]),
    ],
)
def test_a_registration_asking_more_is_refused_naming_the_field(
    purposes: list[str], documents: bool, retention: int, third_parties: list[str], fields: list[str]
) -> None:
    with pytest.raises(PurposeExceeded) as refused:
        check_registration(purposes, ALL, documents, retention, third_parties)
    assert refused.value.fields == fields
    assert refused.value.code == "purpose_exceeded"


def test_a_registration_naming_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(PurposeUnknown):
        check_registration(["gemeentepolis", "alles"], ALL, False, 365, [])
    with pytest.raises(ValueError, match="distinct"):
        check_registration(["gemeentepolis", "gemeentepolis"], ALL, False, 365, [])


def _request(purpose: str = "gemeentepolis", **changes: Any) -> None:
    asked: dict[str, Any] = {
        "sources": ALL,
        "wage_months": 12,
        "tax_years": 2,
        "documents": False,
        "delivery": "data",
        "parameters": None,
    }
    asked.update(changes)
    check_request(template(purpose), **asked)


def test_a_request_at_the_maxima_passes() -> None:
    _request()
    _request(delivery="outcome", parameters={"percentage": 130, "asset_limit_single": None})


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"wage_months": 13}, ["history.wage_months"]),
        ({"tax_years": 3}, ["history.tax_years"]),
        ({"documents": True}, ["documents"]),
        ({"wage_months": 99, "tax_years": 9}, ["history.wage_months", "history.tax_years"]),
        ({"delivery": "outcome", "parameters": {"percentage": 250}}, ["outcome.parameters.percentage"]),
        ({"delivery": "outcome", "parameters": {"percentage": 99}}, ["outcome.parameters.percentage"]),
        ({"delivery": "outcome", "parameters": {"home_equity_rule": "no"}},
         ["outcome.parameters.home_equity_rule"]),
        ({"delivery": "outcome", "parameters": {"asset_test": "yes"}}, ["outcome.parameters.asset_test"]),
        ({"delivery": "outcome", "parameters": {"asset_limit_family": -1}},
         ["outcome.parameters.asset_limit_family"]),
        ({"delivery": "outcome", "parameters": {"percentage": None}}, ["outcome.parameters.percentage"]),
        ({"delivery": "outcome", "parameters": {"bsn": "123456782"}}, ["outcome.parameters"]),
    ],
)  # fmt: skip
def test_a_request_asking_more_is_refused_naming_the_field(
    changes: dict[str, Any], fields: list[str]
) -> None:
    with pytest.raises(PurposeExceeded) as refused:
        _request(**changes)
    assert refused.value.fields == fields
    assert "123456782" not in refused.value.message  # a value sent is never echoed


def test_outcome_delivery_needs_a_template_with_a_rule() -> None:
    with pytest.raises(PurposeExceeded) as refused:
        _request(purpose="schuldhulpverlening", delivery="outcome", parameters={})
    assert refused.value.fields == ["delivery"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "1e999999", "abc", True, [], {}, 10**400])
def test_a_number_bound_refuses_hostile_values(value: object) -> None:
    bound = ParameterBound(type="number", minimum=100, maximum=200)
    assert not bound.allows(value)
    assert bound.allows(150)
    assert bound.allows("150.5")
