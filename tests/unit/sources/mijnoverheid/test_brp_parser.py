"""BRP parser against golden documents: sandbox-rendered and hand-written from the v2.7 spec."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.support.mijnoverheid_citizens import citizen, suzanne
from tests.support.records import strip_refs

from databrug.records import Address, FuzzyDate, PersonName
from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnoverheid.parser_brp import PARSER
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents.brp import render_brp

GOLDEN = Path(__file__).parents[3] / "golden" / "mijnoverheid"


def parse(name: str, **context: object):  # type: ignore[no-untyped-def]
    return PARSER.parse((GOLDEN / name).read_bytes(), ParseContext(**context))  # type: ignore[arg-type]


def test_sandbox_rendering_matches_the_golden_file_and_parses_back() -> None:
    person = suzanne()
    rendered = render_brp(citizen(person))
    assert rendered == (GOLDEN / "brp-sandbox-suzanne.json").read_bytes()
    parsed = parse("brp-sandbox-suzanne.json")
    assert parsed.subject.person is not None
    assert strip_refs(parsed.subject.person) == strip_refs(person)
    assert parsed.entry.document_type == "brp-persoon"
    assert parsed.subject.person.source_ref == parsed.entry.id


def test_partial_dates_foreign_address_secrecy_and_dissolved_partner() -> None:
    person = parse("brp-partial-dates-abroad.json").subject.person
    assert person is not None
    assert person.bsn == "999990457"
    assert person.name == PersonName(given_names="Amina", surname="Hassan Mohammed", initials="A.")
    assert person.birth == FuzzyDate(year=1995, month=2)
    assert (person.birth_place, person.birth_country) == ("Mogadishu", "Somalië")
    assert person.nationalities == ["Somalische", "staatloos"]
    assert person.secret is True
    assert person.in_research is True  # the marker sits deep in verblijfplaats.verblijfadres
    assert person.addresses == [
        Address(
            country="Irak",
            lines=["Street # 34 & House # 11", "Baghdad", "Park Al-Sadoums, Hay Al-Nidhal 103"],
            valid_from=FuzzyDate(year=2012),
        )
    ]
    [partner] = person.partners
    assert partner.kind == "huwelijk"
    assert partner.bsn is None
    assert partner.birth == FuzzyDate()
    assert partner.since == FuzzyDate(year=2010)
    assert partner.dissolved_on == FuzzyDate(year=2015, month=6)
    # A plain API answer cannot tell divorce from death: the status is honestly unknown.
    assert person.marital_status == "onbekend"
    assert [c.bsn for c in person.children] == ["999970604"]
    assert person.children[0].birth == FuzzyDate(date=date(2007, 12, 1))


def test_location_description_title_death_and_partnership() -> None:
    person = parse("brp-locatie-deceased.json").subject.person
    assert person is not None
    assert person.name.title == "jonkheer"
    assert person.name.display == "Willem Alexander van Duijn"
    assert person.deceased_on == FuzzyDate(date=date(2020, 8, 1))
    assert person.addresses == [
        Address(lines=["woonaak De Kabouter in Ruigoord"], valid_from=FuzzyDate(date=date(1990, 7, 1)))
    ]
    assert person.marital_status == "geregistreerd_partnerschap"
    assert person.current_partner is not None
    assert person.current_partner.bsn == "999970240"
    assert person.secret is False
    assert person.in_research is False
    assert person.gender == "man"


def test_a_person_without_geslachtsnaam_is_refused_with_its_path() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse("brp-no-geslachtsnaam.json")
    assert caught.value.location == "$.personen[0].naam.geslachtsnaam"
    assert "Suzanne" not in str(caught.value)


def test_subject_bsn_picks_the_citizen_among_several_persons() -> None:
    other = suzanne().model_copy(update={"bsn": "999991772"})
    first = render_brp(citizen(other))
    second = render_brp(citizen(suzanne()))
    combined = json.loads(first)
    combined["personen"] += json.loads(second)["personen"]
    del combined["mijnOverheid"]
    data = json.dumps(combined).encode()
    with pytest.raises(DocumentInvalid) as caught:
        PARSER.parse(data, ParseContext())
    assert caught.value.location == "$.personen"
    person = PARSER.parse(data, ParseContext(subject_bsn="999993653")).subject.person
    assert person is not None
    assert person.bsn == "999993653"
    with pytest.raises(DocumentInvalid):
        PARSER.parse(data, ParseContext(subject_bsn="999990457"))


def test_sniff_knows_its_documents() -> None:
    assert PARSER.sniff((GOLDEN / "brp-partial-dates-abroad.json").read_bytes())
    assert PARSER.sniff(render_brp(citizen(suzanne())))
    assert not PARSER.sniff((GOLDEN / "woz-empty-waarden-nnp-owner.json").read_bytes())
    assert not PARSER.sniff(b"%PDF-1.7")
