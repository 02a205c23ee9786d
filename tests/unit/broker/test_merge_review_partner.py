"""Merging documents into a subject, and partner detection (the review groups: test_review_summary.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from databrug.broker.review import expected_partner_bsn, merge_documents
from databrug.records import (
    IncomeRelation,
    Incomes,
    PartnerLink,
    Person,
    PersonName,
    Subject,
    TaxYear,
)
from databrug.sources.parsing import ParseContext, ParsedDocument, make_entry

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def document(
    doctype: str, source: str, subject: Subject, role: str = "applicant", data: bytes = b"x"
) -> ParsedDocument:
    entry = make_entry(
        data=data,
        context=ParseContext(subject=role, retrieved_at=NOW),  # type: ignore[arg-type]
        source=source,  # type: ignore[arg-type]
        document_type=doctype,  # type: ignore[arg-type]
        media_type="application/json",
        parser_version="1",
    )
    return ParsedDocument(entry=entry, subject=subject)


def person(ref: str, partner_bsn: str | None = None) -> Person:
    partners = [PartnerLink(bsn=partner_bsn, kind="huwelijk")] if partner_bsn else []
    return Person(source_ref=ref, bsn="999993653", name=PersonName(surname="Jansen"), partners=partners)


def relation(ref: str, payer: str) -> IncomeRelation:
    return IncomeRelation(
        source_ref=ref, kind="employment", payer_name=payer, payroll_tax_number="810220350L02"
    )


def test_merge_combines_documents_and_replaces_a_retried_one() -> None:
    brp = document(
        "brp-persoon", "mijnoverheid", Subject(role="applicant", person=person("src-applicant-brp-persoon"))
    )
    first = document(
        "verzekeringsbericht",
        "uwv",
        Subject(
            role="applicant",
            incomes=Incomes(relations=[relation("src-applicant-verzekeringsbericht", "Oud")]),
        ),
        data=b"first",
    )
    retried = document(
        "verzekeringsbericht",
        "uwv",
        Subject(
            role="applicant",
            incomes=Incomes(relations=[relation("src-applicant-verzekeringsbericht", "Nieuw")]),
        ),
        data=b"second",
    )
    subject, entries = merge_documents("applicant", [brp, first, retried])
    assert subject.person is not None
    assert [r.payer_name for r in subject.incomes.relations] == ["Nieuw"]
    assert sorted(e.document_type for e in entries) == ["brp-persoon", "verzekeringsbericht"]


def test_merge_refuses_another_subjects_document() -> None:
    partner_doc = document("brp-persoon", "mijnoverheid", Subject(role="partner"), role="partner")
    with pytest.raises(ValueError, match="another subject"):
        merge_documents("applicant", [partner_doc])


def test_partner_from_brp_then_from_tax_data() -> None:
    married = Subject(role="applicant", person=person("src-a", partner_bsn="999991772"))
    assert expected_partner_bsn(married) == "999991772"
    cohabiting = Subject(
        role="applicant",
        person=person("src-a"),
        incomes=Incomes(
            tax_years=[
                TaxYear(
                    source_ref="src-b",
                    year=2024,
                    verzamelinkomen=Decimal("1"),
                    box1_income=Decimal("1"),
                    fiscal_partner_bsn="999990019",
                ),
                TaxYear(
                    source_ref="src-b",
                    year=2025,
                    verzamelinkomen=Decimal("1"),
                    box1_income=Decimal("1"),
                    fiscal_partner_bsn="999991772",
                ),
            ]
        ),
    )
    assert expected_partner_bsn(cohabiting) == "999991772"
    assert expected_partner_bsn(Subject(role="applicant", person=person("src-a"))) is None
