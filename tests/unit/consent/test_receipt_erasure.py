"""The receipt of a package sent within a purpose template: the provider's commitments and the erasure code,
in the JSON, the text (nl/en) and the PDF; a receipt without them reads exactly as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pypdfium2 as pdfium
import pytest
from pydantic import ValidationError

from databrug.consent import ConsentReceipt, consent_receipt
from databrug.consent.receipt import ReceiptErasure
from databrug.consent.receipt_pdf import receipt_pdf
from databrug.records import DataPackage
from databrug.records.outcome import PurposeRef

SENT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TOKEN = "era_" + "Ab3_-x" * 5


def _erasure(**changes: object) -> ReceiptErasure:
    fields: dict[str, object] = {
        "token": TOKEN,
        "erasure_url": "https://provider.example/gegevens-wissen",
        "retention_days": 365,
        "privacy_statement_url": "https://provider.example/privacy",
        "provider_name": "Gezondverzekerd",
        "third_parties": [],
        "purpose": PurposeRef(id="gemeentepolis", version="1"),
    }
    return ReceiptErasure.model_validate({**fields, **changes})


def test_the_text_receipt_names_the_commitments_and_where_to_use_the_code(couple: DataPackage) -> None:
    receipt = consent_receipt("ses_abc", couple, SENT, erasure=_erasure())
    dutch, english = receipt.to_text("nl"), receipt.to_text("en")
    assert "Bewaartermijn: 365 dagen" in dutch
    assert "Derden die uw gegevens krijgen: geen" in dutch
    assert "Privacyverklaring: https://provider.example/privacy" in dutch
    assert "Binnen het gepubliceerde doel: gemeentepolis versie 1" in dutch
    assert f"Wiscode: {TOKEN}" in dutch
    assert (
        "Vraag Gezondverzekerd uw gegevens te wissen: ga naar https://provider.example/gegevens-wissen "
        "en vul deze wiscode in." in dutch
    )
    assert "Retention: 365 days" in english
    assert "Third parties that receive your data: none" in english
    assert "Within the published purpose: gemeentepolis version 1" in english
    assert f"Erasure code: {TOKEN}" in english
    assert "go to https://provider.example/gegevens-wissen and enter this erasure code" in english


def test_third_parties_are_named_and_without_an_url_the_citizen_is_told_to_ask(couple: DataPackage) -> None:
    erasure = _erasure(third_parties=["Inkassobureau Noord", "Archief BV"], erasure_url=None, purpose=None)
    text = consent_receipt("ses_abc", couple, SENT, erasure=erasure).to_text("nl")
    assert "Derden die uw gegevens krijgen: Inkassobureau Noord, Archief BV" in text
    assert "Vraag Gezondverzekerd uw gegevens te wissen en geef daarbij deze wiscode." in text
    assert "ga naar" not in text
    assert "Binnen het gepubliceerde doel" not in text


def test_the_json_receipt_carries_the_erasure_and_round_trips(couple: DataPackage) -> None:
    receipt = consent_receipt("ses_abc", couple, SENT, erasure=_erasure())
    data = json.loads(receipt.to_json())
    assert data["erasure"]["token"] == TOKEN
    assert data["erasure"]["retention_days"] == 365
    assert data["erasure"]["purpose"] == {"id": "gemeentepolis", "version": "1"}
    assert ConsentReceipt.model_validate_json(receipt.to_json()) == receipt


def test_a_receipt_without_erasure_has_no_erasure_member(couple: DataPackage) -> None:
    receipt = consent_receipt("ses_abc", couple, SENT)
    assert "erasure" not in json.loads(receipt.to_json())
    assert "Wiscode" not in receipt.to_text("nl")


def test_the_pdf_receipt_shows_the_code_and_the_commitments(couple: DataPackage) -> None:
    receipt = consent_receipt("ses_abc", couple, SENT, erasure=_erasure())
    for language, expected in (
        ("nl", ["Uw gegevens laten wissen", "365 dagen", "gemeentepolis versie 1", "Privacyverklaring"]),
        ("en", ["Having your data erased", "365 days", "gemeentepolis version 1", "Privacy statement"]),
    ):
        document = pdfium.PdfDocument(receipt_pdf(receipt, language))  # type: ignore[arg-type]
        text = "".join(page.get_textpage().get_text_range() for page in document)
        flat = " ".join(text.split())
        assert TOKEN in flat
        for part in expected:
            assert part in flat


@pytest.mark.parametrize(
    "changes",
    [
        {"token": "not-an-erasure-code"},
        {"token": "era_" + "x" * 200},
        {"token": "era_abc<script>alert(1)</script>"},
        {"retention_days": 0},
        {"privacy_statement_url": "h" * 2001},
        {"third_parties": ["x" * 201]},
        {"unexpected": "field"},
    ],
)
def test_hostile_erasure_fields_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _erasure(**changes)
