"""The text → records stage against hand-written text goldens of the layout notes' variants.

Each ``tests/golden/uwv/text/<name>.txt`` is the extracted text of a verzekeringsbericht, pages separated by
a form feed (as pdftotext writes them); ``<name>.expected.json`` holds the relations a reader must find,
written by hand from the text. ``invalid/*.txt`` must be refused at the place ``invalid.json`` names.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from databrug.records import IncomeRelation
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import DocumentHolder
from databrug.sources.uwv.pdf_text import invalid, parse_text, read_text

GOLDEN = Path(__file__).parents[3] / "golden" / "uwv" / "text"
REF = "src-applicant-verzekeringsbericht"
VALID = sorted(p.stem for p in GOLDEN.glob("*.txt"))
INVALID: dict[str, dict[str, str]] = {
    name: case
    for name, case in json.loads((GOLDEN / "invalid.json").read_text(encoding="utf-8")).items()
    if not name.startswith("_")
}


def pages_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\f")


def expected_relations(name: str) -> list[dict[str, Any]]:
    raw = json.loads((GOLDEN / f"{name}.expected.json").read_text(encoding="utf-8"))
    # Through the model so omitted optional fields (car amounts) take their defaults.
    return [
        IncomeRelation.model_validate({**item, "source_ref": REF}).model_dump(mode="json") for item in raw
    ]


def read(path: Path) -> list[dict[str, Any]]:
    relations = parse_text(pages_of(path), source_ref=REF, fail=invalid(path.name))
    return [relation.model_dump(mode="json") for relation in relations]


def test_every_variant_of_the_layout_notes_has_a_golden() -> None:
    assert set(VALID) >= {
        "colon-labels-currency-sign",
        "company-car-shape-a",
        "company-car-shape-b",
        "wrapped-name-and-contract",
        "page-break-inside-block",
        "four-weekly-negative-correction",
        "benefit-payers",
        "regular-variant-with-bsn",
        "no-income",
        "same-employer-two-contracts",
        "car-row-split-by-repeated-header",
    }
    assert len(INVALID) == len(list((GOLDEN / "invalid").glob("*.txt")))


@pytest.mark.parametrize("name", VALID)
def test_text_golden_reads_to_the_hand_written_relations(name: str) -> None:
    assert read(GOLDEN / f"{name}.txt") == expected_relations(name)


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_text_golden_is_refused_at_its_place(name: str) -> None:
    case = INVALID[name]
    with pytest.raises(DocumentInvalid) as caught:
        read(GOLDEN / "invalid" / name)
    error = caught.value
    assert error.location == case["location"]
    assert case["expected"] in error.expected
    assert error.filename == name
    assert error.source == "uwv"
    assert error.document_type == "verzekeringsbericht"


def test_error_messages_never_repeat_document_values() -> None:
    path = GOLDEN / "invalid" / "payroll-number-fails-11-proef.txt"
    with pytest.raises(DocumentInvalid) as caught:
        read(path)
    message = str(caught.value)
    for value in ("123456789", "Bakkerij", "de Vries", "2.345,67"):
        assert value not in message


def test_an_empty_page_list_is_refused() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parse_text([], source_ref=REF, fail=invalid())
    assert caught.value.location == "document"


def test_a_block_header_repeated_after_a_page_break_continues_the_block() -> None:
    relations = read(GOLDEN / "page-break-inside-block.txt")
    assert [r["payer_name"] for r in relations] == ["Bouwbedrijf Ter Steege B.V.", "Metaalwerken Twente B.V."]
    ends = [p["end"] for p in relations[0]["periods"]]
    assert ends == sorted(ends)
    assert len(relations[0]["periods"]) == 5


def test_the_same_header_within_a_page_is_another_contract() -> None:
    relations = read(GOLDEN / "same-employer-two-contracts.txt")
    assert len(relations) == 2
    assert relations[0]["payroll_tax_number"] == relations[1]["payroll_tax_number"]


def test_a_line_longer_than_the_limit_is_refused() -> None:
    text = "Verzekeringsbericht\nDe heer J. de Vries\n" + "x" * 5000 + "\nLoongegevens\n"
    with pytest.raises(DocumentInvalid) as caught:
        parse_text([text], source_ref=REF, fail=invalid())
    assert caught.value.location == "page 1, line 3"


def test_the_page_header_names_the_holder_for_the_binding_check() -> None:
    """Name, full birth date and BSN of the header go out beside the relations (compared, never records)."""
    pages = pages_of(GOLDEN / "regular-variant-with-bsn.txt")
    relations, holder = read_text(pages, source_ref=REF, fail=invalid())
    assert [r.model_dump(mode="json") for r in relations] == expected_relations("regular-variant-with-bsn")
    assert holder == DocumentHolder(
        bsns=frozenset({"999990019"}),
        names=frozenset({"A. Jansen"}),
        birth_dates=frozenset({date(1980, 2, 1)}),
    )
    assert "999990019" not in json.dumps([r.model_dump(mode="json") for r in relations])


def test_an_unknown_birth_date_is_no_birth_date() -> None:
    _, holder = read_text(pages_of(GOLDEN / "no-income.txt"), source_ref=REF, fail=invalid())
    assert holder.names
    assert not holder.bsns
    assert holder.birth_dates == frozenset()
