"""Dutch identifier checks used by the model, built on python-stdnum (not hand-rolled)."""

from __future__ import annotations

import re
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import postcode as stdnum_postcode

_LOONHEFFINGENNUMMER = re.compile(r"^(\d{9})L(\d{2})$")
_ASCII_DIGITS = frozenset("0123456789")
_ELEVEN_TEST_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def _passes_eleven_test(digits: str) -> bool:
    """The 11-proef of nine ASCII digits, as python-stdnum's ``nl.bsn`` checks it (not all zeros)."""
    total = sum(weight * (ord(char) - 48) for weight, char in zip(_ELEVEN_TEST_WEIGHTS, digits, strict=True))
    return total % 11 == 0 and digits != "000000000"


def _is_plain_valid_bsn(text: str) -> bool:
    # The common shape (nine ASCII digits, nothing to clean) is checked here; every other text goes to stdnum,
    # which gives the same answer here 20 times slower (tests/unit/records/test_identifiers_fast.py).
    return len(text) == 9 and _ASCII_DIGITS.issuperset(text) and _passes_eleven_test(text)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text")
    return value


def normalise_bsn(value: Any) -> str:
    """Return the 9-digit BSN or raise ``ValueError`` (the message never repeats the number)."""
    text = _text(value, "BSN")
    if _is_plain_valid_bsn(text):
        return text
    try:
        return str(stdnum_bsn.validate(text))
    except ValidationError as exc:
        raise ValueError(f"invalid BSN: {_reason(exc)}") from None


def is_valid_bsn(value: str) -> bool:
    if _is_plain_valid_bsn(value):
        return True
    return bool(stdnum_bsn.is_valid(value))


def normalise_iban(value: Any) -> str:
    text = _text(value, "IBAN")
    try:
        return str(stdnum_iban.validate(text))
    except ValidationError as exc:
        raise ValueError(f"invalid IBAN: {_reason(exc)}") from None


def normalise_postcode(value: Any) -> str:
    text = _text(value, "postcode")
    try:
        compact = str(stdnum_postcode.validate(text)).replace(" ", "")
    except ValidationError as exc:
        raise ValueError(f"invalid postcode: {_reason(exc)}") from None
    return f"{compact[:4]} {compact[4:]}"


def normalise_loonheffingennummer(value: Any) -> str:
    text = _text(value, "loonheffingennummer").replace(" ", "").replace(".", "").upper()
    match = _LOONHEFFINGENNUMMER.match(text)
    if not match:
        raise ValueError("invalid loonheffingennummer: expected 9 digits, 'L' and 2 digits")
    # "\d" also matches other scripts' digits: the fast path refuses those, and stdnum decides
    if not (_is_plain_valid_bsn(match.group(1)) or stdnum_bsn.is_valid(match.group(1))):
        raise ValueError("invalid loonheffingennummer: the 9-digit part fails the 11-proef")
    return text


def _reason(exc: ValidationError) -> str:
    # stdnum messages describe the rule ("The number has an invalid length."), never the value.
    return str(exc.message).rstrip(".").lower() if hasattr(exc, "message") else type(exc).__name__
