from __future__ import annotations

from datetime import UTC, datetime

import pytest

from databrug.consent import consent_statement
from databrug.consent.statements import StatementCatalogueInvalid, catalogue, parse_catalogue, signing_name
from databrug.records import DataPackage, PersonName, SourceEntry

PROVIDER = "Gemeente Voorbeeld — Gezondverzekerd"


def _entry(source: str, doc: str, n: int) -> SourceEntry:
    return SourceEntry(
        id=f"src-t{n}",
        subject="applicant",
        source=source,  # type: ignore[arg-type]
        document_type=doc,  # type: ignore[arg-type]
        media_type="application/json",
        sha256="0" * 64,
        retrieved_at=datetime(2026, 11, 1, tzinfo=UTC),
        parser_version="1.0.0",
    )


ALL = [
    _entry("mijnpensioenoverzicht", "pensioenoverzicht", 1),
    _entry("belastingdienst", "toeslagen", 2),
    _entry("mijnoverheid", "voertuigen", 3),
    _entry("uwv", "verzekeringsbericht", 4),
    _entry("mijnoverheid", "brp-persoon", 5),
    _entry("belastingdienst", "belastinggegevens", 6),
    _entry("mijnoverheid", "woz-objecten", 7),
]


def test_dutch_statement_names_provider_and_every_source_in_human_words() -> None:
    text = consent_statement(PROVIDER, ALL, "nl")
    assert PROVIDER in text
    for expected in (
        "MijnOverheid (BRP, WOZ, voertuigen)",
        "UWV (verzekeringsbericht)",
        "Belastingdienst (belastinggegevens, toeslagen)",
        "Mijnpensioenoverzicht",
    ):
        assert expected in text
    assert " en Mijnpensioenoverzicht" in text  # Dutch list word


def test_english_statement_names_provider_and_every_source() -> None:
    text = consent_statement(PROVIDER, ALL, "en")
    assert PROVIDER in text
    for expected in (
        "MijnOverheid (BRP, WOZ, vehicles)",
        "UWV (",
        "Belastingdienst (",
        "Mijnpensioenoverzicht",
    ):
        assert expected in text
    assert " and Mijnpensioenoverzicht" in text
    assert consent_statement(PROVIDER, ALL, "nl") != text


@pytest.mark.parametrize("language", ["nl", "en"])
def test_statement_names_only_the_sources_actually_used(language: str) -> None:
    used = [e for e in ALL if e.source == "mijnoverheid" and e.document_type == "brp-persoon"]
    text = consent_statement(PROVIDER, used, language)  # type: ignore[arg-type]
    assert "MijnOverheid (BRP)" in text
    for absent in ("UWV", "Belastingdienst", "Mijnpensioenoverzicht", "WOZ"):
        assert absent not in text


def test_statement_for_a_real_package_names_its_sources(couple: DataPackage) -> None:
    partner = [e for e in couple.sources if e.subject == "partner"]
    text = consent_statement(couple.provider.name, partner, "nl")
    assert couple.provider.name in text
    assert {e.source for e in partner} == {"mijnoverheid", "uwv"}
    assert "Belastingdienst" not in text


def test_statement_without_sources_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one source"):
        consent_statement(PROVIDER, [], "nl")


def test_catalogue_missing_a_language_is_refused() -> None:
    import copy
    from importlib import resources

    import yaml

    raw = yaml.safe_load(resources.files("databrug.consent").joinpath("statements.yaml").read_text("utf-8"))
    broken = copy.deepcopy(raw)
    del broken["statement"]["en"]
    with pytest.raises(StatementCatalogueInvalid, match="statement"):
        parse_catalogue(broken)
    no_placeholder = copy.deepcopy(raw)
    no_placeholder["statement"]["nl"] = "Ik, {person}, geef toestemming."
    with pytest.raises(StatementCatalogueInvalid, match="provider"):
        parse_catalogue(no_placeholder)
    no_placeholder["statement"]["nl"] = "Ik geef {provider} toestemming: {sources}."
    with pytest.raises(StatementCatalogueInvalid, match="person"):
        parse_catalogue(no_placeholder)
    no_roles = copy.deepcopy(raw)
    del no_roles["roles"]["partner"]
    with pytest.raises(StatementCatalogueInvalid, match="partner"):
        parse_catalogue(no_roles)
    assert parse_catalogue(raw) == catalogue()


JANSEN = PersonName(given_names="Anna Maria", surname="Jansen", initials="A.M.")


@pytest.mark.parametrize(
    ("language", "opening"), [("nl", "Ik, A.M. Jansen, geef "), ("en", "I, A.M. Jansen, allow ")]
)
def test_statement_names_the_person_by_initials_and_surname(language: str, opening: str) -> None:
    text = consent_statement(PROVIDER, ALL, language, JANSEN)  # type: ignore[arg-type]
    assert text.startswith(opening)
    assert "Anna" not in text  # initials, as a person signs, not the given names


@pytest.mark.parametrize(
    ("name", "signed"),
    [
        (PersonName(given_names="Anna Maria", surname="Jansen", initials="A.M."), "A.M. Jansen"),
        (PersonName(given_names="Pieter Jan", prefix="van der", surname="Berg"), "P.J. van der Berg"),
        (PersonName(surname="Yilmaz"), "Yilmaz"),
    ],
)
def test_signing_name_is_initials_prefix_and_surname(name: PersonName, signed: str) -> None:
    assert signing_name(name) == signed


@pytest.mark.parametrize(
    ("role", "language", "opening"),
    [
        ("applicant", "nl", "Ik, de aanvrager, geef "),
        ("partner", "nl", "Ik, de partner, geef "),
        ("partner", "en", "I, the partner, allow "),
    ],
)
def test_statement_without_a_brp_record_names_the_role(role: str, language: str, opening: str) -> None:
    entries = [e.model_copy(update={"subject": role}) for e in ALL if e.source == "uwv"]
    assert consent_statement(PROVIDER, entries, language).startswith(opening)  # type: ignore[arg-type]


def test_statement_of_two_people_at_once_is_refused() -> None:
    mixed = [ALL[0], ALL[1].model_copy(update={"subject": "partner"})]
    with pytest.raises(ValueError, match="one person"):
        consent_statement(PROVIDER, mixed, "nl")
