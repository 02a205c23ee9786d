"""Inputs the parser fuzzer (bench/fuzz_parsers.py) found crashing, kept as regression tests."""

from __future__ import annotations

import json

import pytest

from databrug.sources.belastingdienst import TOESLAGEN_PARSER
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import ParseContext

ALLOWANCE = {"soort": "ZORGTOESLAG", "jaar": 2026, "status": "VOORSCHOT", "bedragPerMaand": 100}


@pytest.mark.parametrize("field", ["soort", "status"])
@pytest.mark.parametrize("value", [[], ["VOORSCHOT"], {"a": 1}])
def test_an_unhashable_code_is_a_located_error(field: str, value: object) -> None:
    # seed 0, inputs 3531 / 4219 / 4582: a list as status raised TypeError (unhashable) from `in STATUSES`
    document = {"toeslagen": [{**ALLOWANCE, field: value}]}
    with pytest.raises(DocumentInvalid) as caught:
        TOESLAGEN_PARSER.parse(json.dumps(document).encode(), ParseContext())
    assert caught.value.location == f"$.toeslagen[0].{field}"


def test_an_exponent_beyond_decimal_range_is_a_located_error() -> None:
    # seed 3, input 25920: json.loads(parse_float=Decimal) raised decimal.InvalidOperation, not a ValueError
    document = b'{"toeslagen": [{"soort": "ZORGTOESLAG", "bedragPerMaand": 1e+3030830830830830830}]}'
    with pytest.raises(DocumentInvalid) as caught:
        TOESLAGEN_PARSER.parse(document, ParseContext())
    assert caught.value.location == "$"
