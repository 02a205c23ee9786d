"""The outcome-mode consent statements (nl, en): they say the outcome goes, of which published rule, computed
on which sources, and (after "investigate") that the data go too; the catalogue refuses one without them."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from databrug.consent.statements import (
    OutcomeConsent,
    StatementCatalogueInvalid,
    consent_statement,
    parse_catalogue,
)
from databrug.records import PersonName, SourceEntry

WHEN = "2026-11-02T10:00:00+00:00"


def _entry(source: str, document_type: str) -> SourceEntry:
    return SourceEntry.model_validate(
        {
            "id": f"src-{document_type}",
            "subject": "applicant",
            "source": source,
            "document_type": document_type,
            "media_type": "application/json",
            "sha256": "0" * 64,
            "retrieved_at": WHEN,
            "parser_version": "1.0.0",
        }
    )


ENTRIES = [_entry("mijnoverheid", "brp-persoon"), _entry("uwv", "verzekeringsbericht")]
NAME = PersonName(surname="Jansen", initials="A.")
RULE = OutcomeConsent("gemeentepolis-toets", "1.0")


def _raw() -> dict[str, Any]:
    text = resources.files("databrug.consent").joinpath("statements.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Ik, A. Jansen",
                "uitkomst",
                "Gemeentepolis-toets",
                "versie 1.0",
                "UWV",
                "niet de gegevens zelf",
            ],
        ),
        (
            "en",
            ["I, A. Jansen", "outcome", "Gemeentepolis check", "version 1.0", "UWV", "not the data itself"],
        ),
    ],
)
def test_the_outcome_statement_says_only_the_outcome_goes(language: str, words: list[str]) -> None:
    text = consent_statement("Gemeente X", ENTRIES, language, NAME, outcome=RULE)  # type: ignore[arg-type]
    for word in words:
        assert word in text
    assert text != consent_statement("Gemeente X", ENTRIES, language, NAME)  # type: ignore[arg-type]


@pytest.mark.parametrize(("language", "word"), [("nl", "ook deze gegevens"), ("en", "also this data")])
def test_with_the_data_the_statement_says_both_go(language: str, word: str) -> None:
    with_data = OutcomeConsent("gemeentepolis-toets", "1.0", with_data=True)
    text = consent_statement("Gemeente X", ENTRIES, language, NAME, outcome=with_data)  # type: ignore[arg-type]
    assert word in text
    assert "UWV" in text


def test_an_unknown_rule_has_no_statement() -> None:
    with pytest.raises(ValueError, match="no name"):
        consent_statement("Gemeente X", ENTRIES, "nl", NAME, outcome=OutcomeConsent("other-rule", "1"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw.pop("outcome_statement"),
        lambda raw: raw["outcome_statement"].update(nl="Ik, {person}, stuur {provider} {sources}."),
        lambda raw: raw["outcome_and_data_statement"].pop("en"),
        lambda raw: raw.update(rules={}),
    ],
)
def test_the_catalogue_refuses_a_missing_or_incomplete_outcome_statement(damage: Any) -> None:
    raw = copy.deepcopy(_raw())
    damage(raw)
    with pytest.raises(StatementCatalogueInvalid):
        parse_catalogue(raw)
