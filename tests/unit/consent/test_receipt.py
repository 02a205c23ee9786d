from __future__ import annotations

import json
from datetime import UTC, datetime

from databrug.consent import consent_receipt, statement_digest
from databrug.consent.receipt import ConsentReceipt
from databrug.records import DataPackage

SENT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _personal_values(package: DataPackage) -> list[str]:
    values = []
    for subject in package.subjects:
        if subject.person:
            values += [subject.person.bsn, subject.person.name.surname]
            values += [a.postcode for a in subject.person.addresses if a.postcode]
        values += [str(t.verzamelinkomen) for t in subject.incomes.tax_years]
    return values


def test_receipt_says_what_to_whom_when_without_personal_values(couple: DataPackage) -> None:
    receipt = consent_receipt("ses_abc", couple, SENT)
    as_json = receipt.to_json().decode()
    as_text = receipt.to_text("nl") + receipt.to_text("en")
    for rendering in (as_json, as_text):
        assert couple.package_id in rendering
        assert couple.provider.name in rendering
        assert "ses_abc" in rendering
        for value in _personal_values(couple):
            assert value not in rendering
    assert "MijnOverheid (BRP, WOZ" in receipt.to_text("nl")
    for consent in couple.consents:
        assert statement_digest(consent.statement) in as_text
        assert consent.statement not in as_json


def test_receipt_json_round_trips_and_is_canonical(couple: DataPackage) -> None:
    receipt = consent_receipt("ses_abc", couple, SENT)
    data = receipt.to_json()
    assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()
    assert ConsentReceipt.model_validate_json(data) == receipt
    assert "<" not in receipt.to_text("en")


def test_receipt_can_name_the_sealed_package_it_belongs_to(couple: DataPackage) -> None:
    digest = "c" * 64
    receipt = consent_receipt("ses_abc", couple, SENT, ciphertext_sha256=digest)
    assert f"sha256:{digest}" in receipt.to_text("en")
    assert json.loads(receipt.to_json())["ciphertext_sha256"] == digest
    assert json.loads(consent_receipt("s", couple, SENT).to_json())["ciphertext_sha256"] is None
