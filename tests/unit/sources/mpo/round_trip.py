"""Round-trip comparison for the MPO tests: render a citizen, parse it back, compare facts."""

from __future__ import annotations

from typing import Any

from tests.support.records import strip_refs

from databrug.records import Pensions
from databrug.sources.mijnpensioenoverzicht import PARSER
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents.mpo import render_pensioenoverzicht
from databrug_sandbox.personas.model import Citizen

FORMATS = ("xml", "json")


def facts(pensions: Pensions) -> dict[str, Any]:
    """The pensions without provenance, lists in a fixed order (the download has no order of its own)."""
    plain = strip_refs(pensions)
    plain["schemes"].sort(key=lambda s: (s["kind"], s["provider"], s["scheme_id"]))
    plain["survivor_pensions"].sort(
        key=lambda s: (s["beneficiary"], s["indicative"], s["provider"], s["scheme_id"])
    )
    return plain


def parsed_pensions(citizen: Citizen, fmt: str) -> Pensions:
    data = render_pensioenoverzicht(citizen, fmt)  # type: ignore[arg-type]
    return PARSER.parse(data, ParseContext()).subject.pensions


def assert_round_trip(citizen: Citizen) -> None:
    expected = facts(citizen.facts.pensions)
    for fmt in FORMATS:
        assert facts(parsed_pensions(citizen, fmt)) == expected, fmt


def assert_exact_round_trip(citizen: Citizen) -> None:
    """Stricter: the same records in the same order (personas list schemes in download order)."""
    expected = strip_refs(citizen.facts.pensions)
    for fmt in FORMATS:
        assert strip_refs(parsed_pensions(citizen, fmt)) == expected, fmt
