"""The data package model refuses bad values with clear messages that do not echo the value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from databrug.records import (
    BankBalance,
    ConsentRecord,
    IncomeRelation,
    Person,
    SourceEntry,
    Subject,
    WagePeriod,
)


def period(**overrides: object) -> dict[str, object]:
    return {"start": "2026-01-01", "end": "2026-01-31", "hours": "160", "sv_wage": "2500.00", **overrides}


def test_invalid_bsn_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        Person.model_validate({"source_ref": "src-x", "bsn": "999993654", "name": {"surname": "Jansen"}})
    text = str(caught.value)
    assert "invalid BSN" in text
    assert "999993654" not in text


@pytest.mark.parametrize("bsn", ["12345678", "99999365a", "", "9999936530"])
def test_malformed_bsns_are_refused(bsn: str) -> None:
    with pytest.raises(ValidationError, match="invalid BSN"):
        Person.model_validate({"source_ref": "src-x", "bsn": bsn, "name": {"surname": "Jansen"}})


def test_valid_bsn_with_spaces_is_normalised() -> None:
    person = Person.model_validate(
        {"source_ref": "src-x", "bsn": "9999 93 653", "name": {"surname": "Moulin"}}
    )
    assert person.bsn == "999993653"


def test_negative_hours_are_refused() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        WagePeriod.model_validate(period(hours="-8"))


def test_float_money_is_refused() -> None:
    with pytest.raises(ValidationError, match="must not be a float"):
        WagePeriod.model_validate(period(sv_wage=2500.0))


def test_money_with_sub_cent_precision_is_refused() -> None:
    with pytest.raises(ValidationError, match="two decimals"):
        WagePeriod.model_validate(period(sv_wage="2500.001"))


def test_money_keeps_cents_and_serialises_as_text() -> None:
    wage = WagePeriod.model_validate(period(sv_wage="-12.5"))
    assert wage.sv_wage == Decimal("-12.50")
    assert '"sv_wage":"-12.50"' in wage.model_dump_json()


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValidationError, match="'applicant' or 'partner'"):
        Subject.model_validate({"role": "neighbour"})


def test_period_ending_before_start_is_refused() -> None:
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        WagePeriod.model_validate(period(start="2026-02-01", end="2026-01-31"))


def test_loonheffingennummer_format_and_check() -> None:
    base = {"source_ref": "src-x", "kind": "employment", "payer_name": "Bakkerij"}
    relation = IncomeRelation.model_validate({**base, "payroll_tax_number": "810220350l02"})
    assert relation.payroll_tax_number == "810220350L02"
    with pytest.raises(ValidationError, match="expected 9 digits"):
        IncomeRelation.model_validate({**base, "payroll_tax_number": "810220350B02"})
    with pytest.raises(ValidationError, match="11-proef"):
        IncomeRelation.model_validate({**base, "payroll_tax_number": "810220351L02"})


def test_iban_and_postcode_checks() -> None:
    balance = BankBalance.model_validate(
        {
            "source_ref": "src-x",
            "iban": "NL91 ABNA 0417 1643 00",
            "balance": "10.00",
            "reference_date": "2026-01-01",
        }
    )
    assert balance.iban == "NL91ABNA0417164300"
    with pytest.raises(ValidationError, match="invalid IBAN"):
        BankBalance.model_validate(
            {
                "source_ref": "src-x",
                "iban": "NL91ABNA0417164301",
                "balance": "1",
                "reference_date": "2026-01-01",
            }
        )
    with pytest.raises(ValidationError, match="invalid postcode"):
        Person.model_validate(
            {
                "source_ref": "src-x",
                "bsn": "999993653",
                "name": {"surname": "X"},
                "addresses": [{"postcode": "0123 AB"}],
            }
        )


def test_dates_must_be_dates_and_instants_need_an_offset() -> None:
    with pytest.raises(ValidationError, match="not an ISO date"):
        WagePeriod.model_validate(period(start="01-01-2026"))
    with pytest.raises(ValidationError, match="time zone"):
        SourceEntry.model_validate(
            {
                "id": "src-a",
                "subject": "applicant",
                "source": "uwv",
                "document_type": "verzekeringsbericht",
                "media_type": "application/pdf",
                "sha256": "0" * 64,
                "retrieved_at": "2026-11-28T10:00:00",
                "parser_version": "1",
            }
        )


def test_records_are_frozen_and_refuse_unknown_fields() -> None:
    wage = WagePeriod.model_validate(period())
    with pytest.raises(ValidationError):
        wage.hours = Decimal(1)  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        WagePeriod.model_validate(period(bonus="1"))


def test_consent_needs_a_digest_and_sources() -> None:
    with pytest.raises(ValidationError):
        ConsentRecord.model_validate(
            {
                "subject": "applicant",
                "statement": "Ik geef toestemming.",
                "language": "nl",
                "given_at": "2026-11-28T10:00:00+01:00",
                "provider_id": "gezondverzekerd",
                "sources": [],
                "data_digest": "sha256:" + "a" * 64,
            }
        )


@pytest.mark.parametrize("raw", ["3511AB", "3511 ab", " 3511  AB "])
def test_postcode_is_normalised_with_one_space(raw: str) -> None:
    person = Person.model_validate(
        {
            "source_ref": "src-x",
            "bsn": "999993653",
            "name": {"surname": "X"},
            "addresses": [{"postcode": raw}],
        }
    )
    assert person.addresses[0].postcode == "3511 AB"


@pytest.mark.parametrize(
    ("field", "secret"), [("start", "1985-13-45-geheim"), ("sv_wage", "12k-geheim"), ("hours", "veel-geheim")]
)
def test_error_messages_never_repeat_the_value(field: str, secret: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WagePeriod.model_validate(period(**{field: secret}))
    assert "geheim" not in str(caught.value)
