"""Sandbox PDF → parser: the round trip gives back exactly the citizen's income relations, and the rendered
text follows the layout the conformance notes describe."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.records import strip_refs
from tests.unit.sources.uwv import uwv_citizens
from tests.unit.sources.uwv.uwv_citizens import HAND_BUILT, citizen

from databrug.records import IncomeRelation, WagePeriod
from databrug.sources.parsing import ParseContext
from databrug.sources.uwv.parser_verzekeringsbericht import PARSER
from databrug_sandbox.documents.uwv import render_verzekeringsbericht
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen

PDF_GOLDEN = Path(__file__).parents[3] / "golden" / "uwv" / "pdf"
CONTEXT = ParseContext(subject="applicant", retrieved_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC))


def page_texts(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range().replace("\r\n", "\n") for page in document]
    finally:
        document.close()


def assert_round_trip(person: Citizen) -> None:
    parsed = PARSER.parse(render_verzekeringsbericht(person), CONTEXT)
    assert strip_refs(parsed.subject.incomes) == strip_refs(person.facts.incomes)
    assert parsed.subject.person is None
    refs = {relation.source_ref for relation in parsed.subject.incomes.relations}
    assert refs <= {parsed.entry.id}


@pytest.mark.parametrize("name", sorted(HAND_BUILT))
def test_hand_built_citizen_round_trips(name: str) -> None:
    assert_round_trip(HAND_BUILT[name]())


def test_provenance_entry_describes_the_pdf() -> None:
    data = render_verzekeringsbericht(uwv_citizens.no_income())
    entry = PARSER.parse(data, CONTEXT).entry
    assert (entry.id, entry.source, entry.document_type) == (
        "src-applicant-verzekeringsbericht",
        "uwv",
        "verzekeringsbericht",
    )
    assert entry.media_type == "application/pdf"
    assert entry.parser_version == PARSER.version
    assert entry.retrieved_at == CONTEXT.retrieved_at


def test_same_citizen_gives_the_same_bytes_and_the_date_follows_the_reference_date() -> None:
    person = uwv_citizens.four_weekly_with_corrections()
    first = render_verzekeringsbericht(person)
    assert render_verzekeringsbericht(person) == first
    later = render_verzekeringsbericht(person, reference_date=date(2027, 2, 3))
    assert later != first
    assert all("Datum: 3 februari 2027" in text for text in page_texts(later))
    assert all("Datum: 1 november 2026" in text for text in page_texts(first))


def test_rendered_text_follows_the_layout_notes() -> None:
    texts = page_texts(render_verzekeringsbericht(uwv_citizens.long_history_with_car()))
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        lines = text.split("\n")
        assert lines[1] == "De heer Ş.J. van der Yılmaz"
        assert lines[2] == "Geboortedatum 12 maart 1980"
        assert lines[3] == "Datum: 1 november 2026"
        assert re.search(r"^VZB-006\b", lines[-1])
        assert f"Pagina {number} van {len(texts)}" in lines[-1]
        assert "999990019" not in text  # the IBL variant carries no BSN
    first = texts[0]
    assert first.index("Persoonsgegevens") < first.index("Verzekeringen") < first.index("Loongegevens")
    # A page break inside a block repeats the table header right under the page header.
    assert texts[1].split("\n")[4] == "Periode Aantal uur Sv-loon"
    everything = "\n".join(texts)
    assert "01-01-2025 t/m 31-01-2025 173\nEigen bijdrage auto Waarde privégebruik auto\n" in everything
    assert "€ 149,01 € 733,33 € 6.597,34" in everything
    assert "01-10-2025 t/m 31-10-2025 0 € -120,00" in everything
    assert "01-01-2024 t/m 31-01-2024 151,5 € 3.456,78" in everything
    assert "Werkgever/Instantie Stichting Zorggroep Lindehof" in everything


def test_partial_birth_date_and_unknown_gender_in_the_header() -> None:
    text = page_texts(render_verzekeringsbericht(uwv_citizens.municipality_benefit_and_job()))[0]
    assert "De heer/mevrouw J.P. de Vries" in text
    assert "Geboortedatum 1970" in text
    text = page_texts(render_verzekeringsbericht(uwv_citizens.four_weekly_with_corrections()))[0]
    assert "Mevrouw F. el Amrani" in text
    assert "Geboortedatum augustus 1996" in text


def test_a_name_the_embedded_font_cannot_print_is_refused_by_the_renderer() -> None:
    person = citizen([uwv_citizens.relation("Bakkerij 日本 B.V.", "200000007L01", [])])
    with pytest.raises(ValueError, match="font"):
        render_verzekeringsbericht(person)


# -- golden PDFs: frozen renders of the hand-built citizens ------------------------------------------------


@pytest.mark.parametrize("name", sorted(HAND_BUILT))
def test_golden_pdf_still_parses_to_the_citizen(name: str) -> None:
    path = PDF_GOLDEN / f"{name}.pdf"
    rendered = render_verzekeringsbericht(HAND_BUILT[name]())
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(rendered)
    golden = path.read_bytes()
    parsed = PARSER.parse(golden, CONTEXT)
    assert strip_refs(parsed.subject.incomes) == strip_refs(HAND_BUILT[name]().facts.incomes)
    # A layout change must be deliberate: regenerate with UPDATE_GOLDEN=1 and review the diff.
    assert rendered == golden


# -- generated relations --------------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzéëèïöüçşğıøåñ"
_WORD = st.text(alphabet=_LETTERS, min_size=2, max_size=14).map(str.capitalize)
_SUFFIX = st.sampled_from(["", " B.V.", " N.V.", " & Zn.", " (Holding)", "-Noord"])
_NAME = st.builds(
    lambda words, suffix: " ".join(words) + suffix, st.lists(_WORD, min_size=1, max_size=9), _SUFFIX
)


def _eleven_proof(eight_digits: int) -> str:
    """Eight digits plus the check digit the 11-proef asks for (skipping prefixes that would need a 10)."""
    while True:
        digits = str(eight_digits)
        check = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10:
            return digits + str(check)
        eight_digits += 1


_NINE_DIGITS = st.integers(10_000_000, 79_999_999).map(_eleven_proof)
_CONTRACTS = st.sampled_from(
    [
        None,
        uwv_citizens.PERMANENT,
        uwv_citizens.ON_CALL,
        "niet schriftelijke arbeidsovereenkomst voor onbepaalde tijd, geen oproepovereenkomst",
        "publiekrechtelijke aanstelling voor bepaalde tijd",
    ]
)
_MONEY = st.decimals(min_value=Decimal("-9999.99"), max_value=Decimal("99999.99"), places=2)
_HOURS = st.decimals(min_value=Decimal(0), max_value=Decimal(250), places=1)


@st.composite
def _periods(draw: st.DrawFn) -> list[WagePeriod]:
    first = draw(st.dates(date(2020, 1, 1), date(2026, 6, 1)))
    spans = list(uwv_citizens.months(first, draw(st.integers(0, 40))))
    periods = []
    for span in spans:
        car = draw(st.booleans()) and draw(st.booleans())
        periods.append(
            WagePeriod(
                start=span[0],
                end=span[1],
                hours=draw(_HOURS),
                sv_wage=draw(_MONEY),
                car_private_use_value=draw(_MONEY) if car else None,
                car_own_contribution=draw(st.none() | _MONEY) if car else None,
            )
        )
    return periods


@st.composite
def _relation(draw: st.DrawFn) -> IncomeRelation:
    uwv = draw(st.booleans()) and draw(st.booleans())
    if uwv:
        payroll = "810220350" + draw(st.sampled_from(["L02", "L04", "L20", "L23", "L26", "L53"]))
    else:
        payroll = draw(_NINE_DIGITS) + draw(st.sampled_from(["L01", "L02", "L12"]))
    laws = draw(st.lists(st.sampled_from(["WW", "ZW", "WAO/WIA", "WAZO"]), unique=True))
    contract = draw(_CONTRACTS)
    # What the document can tell: UWV's own numbers, or neither contract nor insurances, mean a benefit.
    benefit = uwv or (contract is None and not laws)
    return IncomeRelation(
        source_ref=SANDBOX_REF,
        kind="benefit" if benefit else "employment",
        payer_name=draw(_NAME),
        payroll_tax_number=payroll,
        insured_laws=laws,
        contract_type=contract,
        periods=draw(_periods()),
    )


@st.composite
def _relations(draw: st.DrawFn) -> list[IncomeRelation]:
    """Up to four relations; sometimes a second contract with the same employer right after the first."""
    relations = draw(st.lists(_relation(), max_size=4))
    if len(relations) > 0 and draw(st.booleans()):
        index = draw(st.integers(0, len(relations) - 1))
        twin = relations[index].model_copy(update={"periods": draw(_periods())})
        relations.insert(index + 1, twin)
    return relations


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_relations(), st.sampled_from(["man", "vrouw", "onbekend"]))
def test_generated_relations_round_trip(relations: list[IncomeRelation], gender: str) -> None:
    assert_round_trip(citizen(relations, gender=gender))


@pytest.mark.parametrize("months_before", range(58, 80, 2))
def test_a_second_contract_with_the_same_employer_never_starts_a_page(months_before: int) -> None:
    """Whatever the length of the first block, the second stays a relation of its own (not a page-break
    repeat): the renderer keeps it off the top of a page."""
    first = [
        uwv_citizens.period(span, "160", "3000.00")
        for span in uwv_citizens.months(date(2019, 1, 1), months_before)
    ]
    second = [uwv_citizens.period(span, "80", "1500.00") for span in uwv_citizens.months(date(2026, 1, 1), 3)]
    twins = [
        uwv_citizens.relation("Uitzendbureau Flexwerk B.V.", "200000032L01", periods)
        for periods in (first, second)
    ]
    assert_round_trip(citizen([twins[0], twins[1]]))


def test_the_creation_date_comes_from_the_citizens_extra_reference_date_when_given() -> None:
    person = uwv_citizens.no_income()
    dated = Citizen(digid=person.digid, facts=person.facts, extra={"reference_date": date(2025, 5, 6)})
    texts = page_texts(render_verzekeringsbericht(dated))
    assert "Datum: 6 mei 2025" in texts[0]
    assert "Datum: 1 november 2026" in page_texts(render_verzekeringsbericht(person))[0]
