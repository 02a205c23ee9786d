"""Inputs the parser fuzzer (bench/fuzz_parsers.py) found crashing, kept as regression tests."""

from __future__ import annotations

import pytest

from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnoverheid.parser_brp import PARSER as BRP
from databrug.sources.mijnoverheid.parser_vehicles import PARSER as VEHICLES
from databrug.sources.mijnoverheid.parser_woz import PARSER as WOZ
from databrug.sources.parsing import ParseContext, Parser

# seed 3, inputs 25920 / 82861 / 95061: json.loads(parse_float=Decimal) raised decimal.InvalidOperation (an
# ArithmeticError, not a ValueError) for an exponent beyond Decimal's range.
HUGE_EXPONENT = b'{"voertuigen": [{"kenteken": "AB-12-CD", "waarde": 1e+3030830830830830830}]}'


@pytest.mark.parametrize("parser", [BRP, WOZ, VEHICLES], ids=lambda p: p.document_type)
def test_an_exponent_beyond_decimal_range_is_a_located_error(parser: Parser) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        parser.parse(HUGE_EXPONENT, ParseContext())
    assert caught.value.location == "$"
