"""Golden files: the sandbox rendering stays stable; hand-written documents parse to hand-written records."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from tests.unit.sources.belastingdienst import belastingdienst_citizens
from tests.unit.sources.belastingdienst.belastingdienst_citizens import belastingdienst_facts

from databrug.sources.belastingdienst import BELASTINGGEGEVENS_PARSER, TOESLAGEN_PARSER
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents.belastingdienst import render_belastinggegevens, render_toeslagen

GOLDEN = Path(__file__).parents[3] / "golden" / "belastingdienst"
UPDATE = os.environ.get("DATABRUG_UPDATE_GOLDEN") == "1"

RENDERERS = {"via.xml": render_belastinggegevens, "toeslagen.json": render_toeslagen}


@pytest.mark.parametrize("name", sorted(belastingdienst_citizens.ALL))
@pytest.mark.parametrize("suffix", sorted(RENDERERS))
def test_sandbox_rendering_matches_its_golden_file(name: str, suffix: str) -> None:
    path = GOLDEN / f"sandbox-{name}.{suffix}"
    rendered = RENDERERS[suffix](belastingdienst_citizens.ALL[name]())
    if UPDATE:
        path.write_bytes(rendered)
    assert rendered == path.read_bytes()


@pytest.mark.parametrize("name", sorted(belastingdienst_citizens.ALL))
def test_sandbox_golden_files_parse_to_the_citizens_facts(name: str) -> None:
    citizen = belastingdienst_citizens.ALL[name]()
    context = ParseContext(subject=citizen.facts.role)
    via = BELASTINGGEGEVENS_PARSER.parse((GOLDEN / f"sandbox-{name}.via.xml").read_bytes(), context)
    toeslagen = TOESLAGEN_PARSER.parse((GOLDEN / f"sandbox-{name}.toeslagen.json").read_bytes(), context)
    expected = belastingdienst_facts(citizen.facts)
    got_via = belastingdienst_facts(via.subject)
    assert got_via["tax_years"] == expected["tax_years"]
    assert got_via["bank_balances"] == expected["bank_balances"]
    assert got_via["mortgages"] == expected["mortgages"]
    assert belastingdienst_facts(toeslagen.subject)["allowances"] == expected["allowances"]


def _without_refs(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in record.items() if key != "source_ref"} for record in records]


def _hand_written(pattern: str) -> list[str]:
    return sorted(p.name.split(".")[0] for p in GOLDEN.glob(pattern) if not p.name.startswith("sandbox-"))


@pytest.mark.parametrize("name", _hand_written("*.via.xml"))
def test_hand_written_via_parses_to_expected_records(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.expected.json").read_text(encoding="utf-8"))
    parsed = BELASTINGGEGEVENS_PARSER.parse((GOLDEN / f"{name}.via.xml").read_bytes(), ParseContext())
    dumped = parsed.subject.model_dump(mode="json")
    assert parsed.entry.status == expected["status"]
    assert _without_refs(dumped["incomes"]["tax_years"]) == expected["tax_years"]
    assert _without_refs(dumped["assets"]["bank_balances"]) == expected["bank_balances"]
    assert _without_refs(dumped["assets"]["mortgages"]) == expected["mortgages"]
    assert dumped["assets"]["homes"] == []
    assert dumped["incomes"]["allowances"] == []


@pytest.mark.parametrize("name", _hand_written("*.toeslagen.json"))
def test_hand_written_toeslagen_parse_to_expected_records(name: str) -> None:
    expected = json.loads((GOLDEN / f"{name}.expected.json").read_text(encoding="utf-8"))
    parsed = TOESLAGEN_PARSER.parse((GOLDEN / f"{name}.toeslagen.json").read_bytes(), ParseContext())
    dumped = parsed.subject.model_dump(mode="json")
    assert _without_refs(dumped["incomes"]["allowances"]) == expected["allowances"]
    assert dumped["incomes"]["tax_years"] == []


def test_hand_written_golden_files_exist() -> None:
    # Guards the parametrised tests above against silently collecting nothing.
    assert len(_hand_written("*.via.xml")) >= 5
    assert len(_hand_written("*.toeslagen.json")) >= 2


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.via.xml")), ids=lambda p: p.name)
def test_sniff_recognises_every_via_and_nothing_else(path: Path) -> None:
    data = path.read_bytes()
    assert BELASTINGGEGEVENS_PARSER.sniff(data)
    assert not TOESLAGEN_PARSER.sniff(data)


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.toeslagen.json")), ids=lambda p: p.name)
def test_sniff_recognises_every_toeslagen_document_and_nothing_else(path: Path) -> None:
    data = path.read_bytes()
    assert TOESLAGEN_PARSER.sniff(data)
    assert not BELASTINGGEGEVENS_PARSER.sniff(data)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n",
        b'{"personen": []}',
        b"<?xml version='1.0'?><Pensioenoverzicht/>",
        b"<?xml version='1.0'?><viaduct/>",
        b"",
    ],
)
def test_sniff_refuses_other_documents(data: bytes) -> None:
    assert not BELASTINGGEGEVENS_PARSER.sniff(data)
    assert not TOESLAGEN_PARSER.sniff(data)
