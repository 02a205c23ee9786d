"""Dutch identifier checks used by the model, built on python-stdnum (not hand-rolled)."""

from __future__ import annotations

import re
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError
from stdnum.nl import bsn as stdnum_bsn
from stdnum.nl import postcode as stdnum_postcode

_LOONHEFFINGENNUMMER = re.compile(r"^(\d{9})L(\d{2})$")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text")
    return value


def normalise_bsn(value: Any) -> str:
    """Return the 9-digit BSN or raise ``ValueError`` (the message never repeats the number)."""
    text = _text(value, "BSN")
    try:
        return str(stdnum_bsn.validate(text))
    except ValidationError as exc:
        raise ValueError(f"invalid BSN: {_reason(exc)}") from None


def is_valid_bsn(value: str) -> bool:
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
    if not stdnum_bsn.is_valid(match.group(1)):
        raise ValueError("invalid loonheffingennummer: the 9-digit part fails the 11-proef")
    return text


def _reason(exc: ValidationError) -> str:
    # stdnum messages describe the rule ("The number has an invalid length."), never the value.
    return str(exc.message).rstrip(".").lower() if hasattr(exc, "message") else type(exc).__name__
