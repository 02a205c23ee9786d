"""The parser against hand-written downloads (tests/golden/mpo, SOURCE.md); expectations typed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from databrug.records import Age, PensionScheme
from databrug.sources.mijnpensioenoverzicht import PARSER
from databrug.sources.parsing import ParseContext, ParsedDocument, Parser

GOLDEN = Path(__file__).parents[3] / "golden" / "mpo"


def parse(name: str) -> ParsedDocument:
    return PARSER.parse((GOLDEN / name).read_bytes(), ParseContext(subject="partner"))


def by_id(schemes: list[PensionScheme]) -> dict[tuple[str, str], PensionScheme]:
    return {(s.kind, s.scheme_id): s for s in schemes}


def test_namespaced_xml_with_single_items_and_nil_elements() -> None:
    parsed = parse("handwritten-namespaced.xml")
    assert parsed.entry.media_type == "application/xml"
    assert parsed.entry.id == "src-partner-pensioenoverzicht"
    assert parsed.entry.status == "complete"
    pensions = parsed.subject.pensions
    state = pensions.state_pension
    assert state is not None
    assert state.start_age == Age(years=67, months=3)
    assert state.as_of == date(2026, 1, 1)
    assert (state.accrued_single, state.projected_single) == (Decimal("18216"), Decimal("18779"))
    assert (state.accrued_together, state.projected_together) == (Decimal("12504"), Decimal("12891"))
    assert state.source_ref == parsed.entry.id

    assert len(pensions.schemes) == 2  # ABP repeats in both windows: one record
    abp, dc = pensions.schemes
    assert abp.provider == "Stichting Pensioenfonds ABP"
    assert abp.scheme_id == "0012345678-1"  # leading zeros and dash kept
    assert abp.kind == "guaranteed"
    assert abp.start_age == Age(years=66, months=6)
    assert abp.end_age is None
    assert (abp.accrued_yearly, abp.projected_yearly) == (Decimal("6902"), Decimal("7418"))
    assert abp.as_of == date(2025, 12, 31)
    assert dc.kind == "indicative"
    assert dc.scheme_id == "BND-000451"
    assert dc.accrued_yearly is None  # xsi:nil
    assert dc.projected_yearly == Decimal("1260")
    assert dc.start_age == Age(years=67, months=3)
    assert pensions.survivor_pensions == []
    assert parsed.subject.person is None  # the XML's Naam is not a BRP person; BRP supplies that


def test_minimal_json_with_empty_totals_gives_only_the_state_pension() -> None:
    parsed = parse("handwritten-minimal.json")
    assert parsed.entry.media_type == "application/json"
    pensions = parsed.subject.pensions
    assert pensions.schemes == []
    assert pensions.survivor_pensions == []
    assert pensions.state_pension is not None
    assert pensions.state_pension.start_age == Age(years=68)
    assert pensions.state_pension.accrued_single == Decimal("6686")
    assert pensions.state_pension.projected_together == Decimal("13120")


def test_missing_and_empty_sections_give_no_pensions() -> None:
    pensions = parse("handwritten-missing-sections.xml").subject.pensions
    assert pensions.state_pension is None
    assert pensions.schemes == []
    assert pensions.survivor_pensions == []


def test_partner_and_orphan_pensions() -> None:
    pensions = parse("handwritten-survivors.xml").subject.pensions
    assert [s.scheme_id for s in pensions.schemes] == ["000912345"]
    assert pensions.schemes[0].start_age == Age(years=68)
    assert pensions.state_pension is None
    survivors = {(s.beneficiary, s.scheme_id): s for s in pensions.survivor_pensions}
    assert set(survivors) == {
        ("partner", "000912345"),
        ("partner", "ASR-77-0003"),
        ("orphan", "000912345"),
    }
    partner = survivors[("partner", "000912345")]
    assert (partner.insured_amount, partner.accrued_amount) == (Decimal("5180"), Decimal("2590"))
    assert not partner.indicative
    assert not partner.per_child
    assert partner.as_of == date(2026, 1, 1)
    indicative = survivors[("partner", "ASR-77-0003")]
    assert indicative.indicative
    assert indicative.provider == "a.s.r. levensverzekering"
    assert (indicative.insured_amount, indicative.accrued_amount) == (Decimal("940"), None)
    orphan = survivors[("orphan", "000912345")]
    assert orphan.per_child
    assert (orphan.insured_amount, orphan.accrued_amount) == (Decimal("1036"), None)


def test_divorce_settlement_supplement_and_missing_provider() -> None:
    parsed = parse("handwritten-verevening.json")
    assert parsed.entry.status == "partial"  # one provider failed to deliver
    schemes = by_id(parsed.subject.pensions.schemes)
    assert set(schemes) == {("guaranteed", "0004471203"), ("single_person_supplement", "0004471203")}
    main = schemes[("guaranteed", "0004471203")]
    assert main.divorce_settlement == "Verevening verwerkt: deel ex-partner is afgetrokken"
    assert main.accrued_yearly == Decimal("4877")
    supplement = schemes[("single_person_supplement", "0004471203")]
    assert (supplement.accrued_yearly, supplement.projected_yearly) == (Decimal("377"), Decimal("412"))
    assert supplement.divorce_settlement is None


def test_a_dozen_schemes_over_overlapping_windows() -> None:
    pensions = parse("handwritten-dozen-schemes.json").subject.pensions
    schemes = pensions.schemes
    assert len(schemes) == 12
    numbers = [s.scheme_id for s in schemes]
    assert len(set(numbers)) == 12
    found = {s.provider: s for s in schemes}

    bridging = found["Pensioenfonds 01"]
    assert bridging.scheme_id == "0000000001-1"
    assert (bridging.start_age, bridging.end_age) == (Age(years=60), Age(years=65))
    assert found["Pensioenfonds 02"].end_age == Age(years=65)

    hoog_laag = found["Pensioenfonds 03"]
    assert (hoog_laag.start_age, hoog_laag.end_age) == (Age(years=65), None)
    assert hoog_laag.projected_yearly == Decimal("2640")  # the steady state, not the 3300 before AOW age

    as_text = found["Pensioenfonds 05"]
    assert (as_text.accrued_yearly, as_text.projected_yearly) == (Decimal("2500"), Decimal("5011"))
    assert found["Pensioenfonds 07"].start_age == Age(years=67, months=3)
    late = found["Pensioenfonds 11"]
    assert (late.kind, late.start_age, late.end_age) == ("indicative", Age(years=70), None)
    assert late.projected_yearly == Decimal("11011")
    assert sum(1 for s in schemes if s.kind == "indicative") == 2
    assert pensions.state_pension is not None
    assert pensions.state_pension.start_age == Age(years=67, months=3)


def test_parser_meets_the_parser_contract() -> None:
    parser: Parser = PARSER  # checked by mypy: the attributes and parse() the registry relies on
    assert (parser.source, parser.document_type, parser.version) == (
        "mijnpensioenoverzicht",
        "pensioenoverzicht",
        "1.0.0",
    )


def test_default_namespace_and_prefixes_read_alike() -> None:
    prefixed = (GOLDEN / "handwritten-namespaced.xml").read_text(encoding="utf-8")
    default = prefixed.replace("xmlns:pa=", "xmlns=").replace("<pa:", "<").replace("</pa:", "</")
    assert "pa:" not in default
    context = ParseContext(subject="partner")
    from_default = PARSER.parse(default.encode(), context).subject
    assert from_default == parse("handwritten-namespaced.xml").subject
    assert len(from_default.pensions.schemes) == 2


def test_json_with_single_objects_where_lists_belong() -> None:
    # What a naive XML-to-JSON conversion produces: a list of one becomes a bare object.
    data = b"""{"StatusCode": "000", "Details": {"OuderdomsPensioenDetails": {"OuderdomsPensioen": {
        "Van": {"Leeftijd": {"Jaren": "68", "Maanden": "0"}},
        "Tot": {"OuderdomsPensioenEvent": "Overlijden"},
        "Pensioen": {"PensioenUitvoerder": "PFZW", "HerkenningsNummer": "000777",
                     "StandPer": "2026-01-01", "TeBereiken": "6500", "Opgebouwd": "4000"}}}}}"""
    (only,) = PARSER.parse(data, ParseContext()).subject.pensions.schemes
    assert (only.scheme_id, only.start_age, only.end_age) == ("000777", Age(years=68), None)
    assert (only.accrued_yearly, only.projected_yearly) == (Decimal("4000"), Decimal("6500"))
