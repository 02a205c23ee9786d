"""The sandbox download and the parser agree: render(citizen) parses back to exactly the citizen's pensions,
from XML and from JSON alike, and the rendered files have the real download's quirks."""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from tests.unit.sources.mpo.citizens import citizen_with, rich_pensions, scheme, state_pension
from tests.unit.sources.mpo.round_trip import FORMATS, assert_round_trip, facts

from databrug.records import Age, Pensions, PensionScheme, StatePension, SurvivorPension
from databrug.sources.mijnpensioenoverzicht import PARSER
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents.mpo import MISSING_PROVIDERS_KEY, REFERENCE_DATE_KEY, render_pensioenoverzicht
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen

GOLDEN = Path(__file__).parents[3] / "golden" / "mpo"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


# --- pinned sandbox output ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_sandbox_golden_file_is_what_the_renderer_makes(fmt: str) -> None:
    golden = GOLDEN / f"sandbox-rich.{fmt}"
    rendered = render_pensioenoverzicht(citizen_with(rich_pensions()), fmt)  # type: ignore[arg-type]
    if os.environ.get("MPO_UPDATE_GOLDEN") == "1":
        golden.write_bytes(rendered)
    assert rendered == golden.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_sandbox_golden_file_parses_to_the_hand_built_facts(fmt: str) -> None:
    parsed = PARSER.parse((GOLDEN / f"sandbox-rich.{fmt}").read_bytes(), ParseContext())
    assert facts(parsed.subject.pensions) == facts(rich_pensions())
    assert parsed.entry.media_type == f"application/{fmt}"


# --- round trip and parity -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pensions",
    [
        pytest.param(rich_pensions(), id="rich"),
        pytest.param(Pensions(), id="nothing"),
        pytest.param(Pensions(state_pension=state_pension()), id="aow-only"),
        pytest.param(
            Pensions(schemes=[scheme("Stichting Pensioenfonds ABP", "0000000001-0", accrued="1.05")]),
            id="scheme-without-aow-with-cents",
        ),
        pytest.param(
            Pensions(
                state_pension=state_pension(start=Age(years=66, months=10)),
                schemes=[
                    scheme("A&B <Pensioen>", "00-01", start=Age(years=60), end=Age(years=66, months=10))
                ],
            ),
            id="temporary-scheme-ending-at-aow",
        ),
    ],
)
def test_round_trip_for_hand_built_citizens(pensions: Pensions) -> None:
    assert_round_trip(citizen_with(pensions))


def test_xml_and_json_give_identical_records() -> None:
    citizen = citizen_with(rich_pensions())
    xml = PARSER.parse(render_pensioenoverzicht(citizen, "xml"), ParseContext())
    as_json = PARSER.parse(render_pensioenoverzicht(citizen, "json"), ParseContext())
    assert xml.subject == as_json.subject  # same source id too: one document type
    assert xml.entry.media_type != as_json.entry.media_type
    assert xml.entry.sha256 != as_json.entry.sha256


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_deterministic(fmt: str) -> None:
    first = render_pensioenoverzicht(citizen_with(rich_pensions()), fmt)  # type: ignore[arg-type]
    second = render_pensioenoverzicht(citizen_with(rich_pensions()), fmt)  # type: ignore[arg-type]
    assert first == second


def test_missing_provider_marks_the_source_partial() -> None:
    base = citizen_with(rich_pensions())
    citizen = Citizen(
        digid=base.digid, facts=base.facts, extra={MISSING_PROVIDERS_KEY: ["Pensioenfonds Vervoer"]}
    )
    for fmt in FORMATS:
        parsed = PARSER.parse(render_pensioenoverzicht(citizen, fmt), ParseContext())  # type: ignore[arg-type]
        assert parsed.entry.status == "partial"
    assert b"<Puv>Pensioenfonds Vervoer</Puv>" in render_pensioenoverzicht(citizen, "xml")


# --- the real download's shape ----------------------------------------------------------------------------


def test_xml_has_single_elements_for_lists_of_one_and_nil_for_absent_amounts() -> None:
    one = Pensions(schemes=[scheme("PFZW", "000777", accrued=None, start=Age(years=68))])
    root = etree.fromstring(render_pensioenoverzicht(citizen_with(one), "xml"))
    windows = root.findall("Details/OuderdomsPensioenDetails/OuderdomsPensioen")
    assert len(windows) == 1
    entries = windows[0].findall("Pensioen")
    assert len(entries) == 1
    assert entries[0].findtext("HerkenningsNummer") == "000777"
    assert entries[0].find("Opgebouwd").get(XSI_NIL) == "true"
    assert entries[0].findtext("TeBereiken") == "6500"
    assert windows[0].find("Tot/OuderdomsPensioenEvent").text == "Overlijden"
    assert root.findtext("StatusCode") == "000"


def test_xml_carries_name_and_birth_date_json_does_not() -> None:
    citizen = citizen_with(rich_pensions(), born=date(1959, 2, 28))
    root = etree.fromstring(render_pensioenoverzicht(citizen, "xml"))
    assert root.findtext("Naam") == "Suzanne Moulin"
    assert root.findtext("Geboortedatum") == "1959-02-28"
    document = json.loads(render_pensioenoverzicht(citizen, "json"))
    assert "Naam" not in document
    assert "Geboortedatum" not in document
    assert document["StatusCode"] == "000"  # text, not the number 0


def test_schemes_repeat_in_every_window_they_are_payable() -> None:
    document = json.loads(render_pensioenoverzicht(citizen_with(rich_pensions()), "json"))
    windows = document["Details"]["OuderdomsPensioenDetails"]["OuderdomsPensioen"]
    edges = [(w["Van"]["Leeftijd"]["Jaren"], w["Van"]["Leeftijd"]["Maanden"]) for w in windows]
    assert edges == [(65, 0), (67, 3), (68, 0)]  # early ABP start, AOW age, the other schemes' start
    assert windows[-1]["Tot"] == {"OuderdomsPensioenEvent": "Overlijden"}
    ids = [[p["HerkenningsNummer"] for p in w.get("Pensioen", [])] for w in windows]
    assert ids == [
        ["0012345678-1", "0012345678-2"],
        ["0012345678-1"],
        ["0012345678-1", "000777"],
    ]
    assert ["AOW" in w for w in windows] == [False, True, True]


def _sum(values: list[Any]) -> Decimal | None:
    present = [Decimal(str(v)) for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def test_totals_add_up_the_details() -> None:
    document = json.loads(
        render_pensioenoverzicht(citizen_with(rich_pensions()), "json"), parse_float=Decimal
    )
    details = document["Details"]["OuderdomsPensioenDetails"]["OuderdomsPensioen"]
    totals = document["Totalen"]["OuderdomsPensioenTotalen"]["OuderdomsPensioenTotaal"]
    assert len(totals) == len(details)
    for total, window in zip(totals, details, strict=True):
        assert (total["Van"], total["Tot"]) == (window["Van"], window["Tot"])
        for name in ("Pensioen", "IndicatiefPensioen", "AlleenstaandenPensioen"):
            expected = _sum([entry.get("TeBereiken") for entry in window.get(name, [])])
            assert (Decimal(total[name]) if name in total else None) == expected, name
        aow = window.get("AOW", {}).get("AOWDetailsOpbouw", {})
        assert total.get("AOWAlleenstaand") == aow.get("TeBereikenAlleenstaand")
        assert total.get("AOWSamenwonend") == aow.get("TeBereikenSamenwonend")
    partner = document["Totalen"]["PartnerPensioenTotalen"]["PartnerPensioenTotaal"][0]
    assert partner["Pensioen"]["VerzekerdBedrag"] == 3000
    assert partner["IndicatiefPensioen"] == {"VerzekerdBedrag": 3000}


def test_a_scheme_that_ends_before_it_starts_is_a_persona_error() -> None:
    broken = Pensions(schemes=[scheme("PFZW", "1", start=Age(years=68), end=Age(years=65))])
    with pytest.raises(ValueError, match="must end after it starts"):
        render_pensioenoverzicht(citizen_with(broken), "xml")


# --- generated pensions -------------------------------------------------------------------------------------

names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ&<>'\".-éüç0123456789", max_size=40
)
clean_names = names.map(str.strip).filter(bool)
scheme_ids = st.from_regex(r"[0-9A-Z][0-9A-Z\-]{0,20}", fullmatch=True)
amounts = (
    st.none() | st.decimals(min_value=0, max_value=250_000, places=2) | st.integers(0, 90_000).map(Decimal)
)
ages = st.builds(Age, years=st.integers(55, 75), months=st.integers(0, 11))
days = st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def schemes(draw: st.DrawFn) -> PensionScheme:
    start = draw(ages)
    months = draw(st.none() | st.integers(1, 120))
    end = None
    if months is not None:
        years, rest = divmod(start.years * 12 + start.months + months, 12)
        end = Age(years=years, months=rest)
    return PensionScheme(
        source_ref=SANDBOX_REF,
        provider=draw(clean_names),
        scheme_id=draw(scheme_ids),
        kind=draw(st.sampled_from(["guaranteed", "indicative", "single_person_supplement"])),
        accrued_yearly=draw(amounts),
        projected_yearly=draw(amounts),
        start_age=start,
        end_age=end,
        as_of=draw(days),
        divorce_settlement=draw(st.none() | clean_names),
    )


state_pensions = st.builds(
    StatePension,
    source_ref=st.just(SANDBOX_REF),
    start_age=ages,
    as_of=days,
    accrued_single=amounts,
    projected_single=amounts,
    accrued_together=amounts,
    projected_together=amounts,
)
survivors = st.builds(
    SurvivorPension,
    source_ref=st.just(SANDBOX_REF),
    beneficiary=st.sampled_from(["partner", "orphan"]),
    provider=clean_names,
    scheme_id=scheme_ids,
    indicative=st.booleans(),
    insured_amount=amounts,
    accrued_amount=amounts,
    per_child=st.booleans(),
    as_of=days,
)
pensions_strategy = st.builds(
    Pensions,
    state_pension=st.none() | state_pensions,
    schemes=st.lists(schemes(), max_size=12, unique_by=lambda s: (s.kind, s.provider, s.scheme_id)),
    survivor_pensions=st.lists(
        survivors, max_size=5, unique_by=lambda s: (s.beneficiary, s.indicative, s.provider, s.scheme_id)
    ),
)


@settings(max_examples=60, deadline=None)
@given(pensions_strategy)
def test_round_trip_for_generated_pensions(pensions: Pensions) -> None:
    assert_round_trip(citizen_with(pensions))


@pytest.mark.parametrize(
    ("reference", "stamp"),
    [
        (date(2026, 11, 1), "2026-11-01T09:30:00+01:00"),
        (date(2026, 3, 28), "2026-03-28T09:30:00+01:00"),
        (date(2026, 3, 29), "2026-03-29T09:30:00+02:00"),  # last Sunday of March: summer time
        (date(2026, 10, 25), "2026-10-25T09:30:00+01:00"),  # last Sunday of October: winter time again
    ],
)
def test_creation_time_is_fixed_on_the_reference_date_in_dutch_time(reference: date, stamp: str) -> None:
    base = citizen_with(rich_pensions())
    citizen = Citizen(digid=base.digid, facts=base.facts, extra={REFERENCE_DATE_KEY: reference})
    document = json.loads(render_pensioenoverzicht(citizen, "json"))
    assert document["TijdstipAanmakenBericht"] == stamp
