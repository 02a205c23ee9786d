"""How the review screen shows values: dates and amounts as people in each language write them."""

from __future__ import annotations

import pytest

from databrug.web.context import shown_value


@pytest.mark.parametrize(
    ("value", "field", "lang", "shown"),
    [
        ("1017.00", "wage", "nl", "€ 1.017,00"),
        ("1234567.5", "value", "en", "€1,234,567.50"),
        ("-12.30", "box3_income", "nl", "€ -12,30"),
        ("38.00", "hours", "nl", "38,00"),
        ("2026-01-31", "since", "nl", "31-01-2026"),
        ("2026-01-31", "since", "en", "31/01/2026"),
        ("999990019", "bsn", "nl", "999990019"),
        ("NL91ABNA0417164300", "iban", "en", "NL91ABNA0417164300"),
        (2026, "year", "nl", "2026"),
    ],
)
def test_values_are_shown_as_people_write_them(value: object, field: str, lang: str, shown: str) -> None:
    assert shown_value(value, field, lang) == shown  # type: ignore[arg-type]
