"""Shared building blocks of the data package: the record base class and value types."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from databrug.records.identifiers import (
    normalise_bsn,
    normalise_iban,
    normalise_loonheffingennummer,
    normalise_postcode,
)


class Record(BaseModel):
    """Base of every record: strict types, immutable, no unknown fields."""

    # hide_input_in_errors: validation messages must never echo a BSN, name or amount.
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", hide_input_in_errors=True)


def _money_in(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("money must not be a float; use Decimal or a string such as '1234.56'")
    if isinstance(value, bool):
        raise ValueError("money must be a Decimal, an int or a string of euros")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError as exc:
            raise ValueError("not an amount in euros") from exc
    return value


def _money_check(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("money must be a finite amount")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("money has at most two decimals (euros and cents)")
    return value.quantize(Decimal("0.01"))


EURO_AMOUNT_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"
"""A serialised amount: optional minus, whole euros, a point and exactly two digits of cents."""

Money = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    AfterValidator(_money_check),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    # "format" names the kind for people; "pattern" is what a standard validator checks (it ignores formats it
    # does not know, and JSON Schema knows no money format)
    Field(json_schema_extra={"format": "euro-amount", "pattern": EURO_AMOUNT_PATTERN}),
]
"""An amount in euros with cents. Never a float; serialised as a string ``"1234.56"``."""

NonNegativeMoney = Annotated[Money, Field(ge=0)]


def _decimal_in(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("use a Decimal or a string, not a float")
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError as exc:
            raise ValueError("not a number") from exc
    return value


Hours = Annotated[
    Decimal,
    BeforeValidator(_decimal_in),
    Field(ge=0, description="Paid hours in a wage period; never negative."),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
]


def _date_in(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("not an ISO date (yyyy-mm-dd)") from exc
    if isinstance(value, datetime):
        raise ValueError("expected a date, got a date-time")
    return value


def _datetime_in(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError("not an ISO date-time with an offset") from exc
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("date-time needs a time zone offset")
    return value


Day = Annotated[date, BeforeValidator(_date_in)]
"""A calendar date; accepts ``date`` or an ISO string (JSON), never a date-time."""

Instant = Annotated[datetime, BeforeValidator(_datetime_in)]
"""A moment in time with an explicit offset."""

Bsn = Annotated[
    str, BeforeValidator(normalise_bsn), Field(description="Burgerservicenummer, 9 digits, 11-proef")
]
Iban = Annotated[str, BeforeValidator(normalise_iban), Field(description="IBAN, compact form")]
Postcode = Annotated[str, BeforeValidator(normalise_postcode), Field(description="Dutch postcode '1234 AB'")]
Loonheffingennummer = Annotated[
    str,
    BeforeValidator(normalise_loonheffingennummer),
    Field(description="Payroll tax number: 9 digits (11-proef), 'L', 2 digits"),
]

SourceRef = Annotated[
    str,
    Field(
        pattern=r"^src-[0-9a-z-]{1,40}$",
        description="The id of the sources[] entry this record came from (provenance).",
    ),
]
