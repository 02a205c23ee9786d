from __future__ import annotations

import base64
import json

import pytest
from tests.support.consent_logins import login_before

from databrug.consent import make_consent
from databrug.delivery.errors import ConsentMissing
from databrug.delivery.package import build_package, package_bytes
from databrug.records import DataPackage, Document, ProviderRef

from .conftest import CONSENT_AT, consents_for


def _documents(example: DataPackage) -> list[Document]:
    return [
        Document(
            source_ref=entry.id,
            media_type=entry.media_type,
            filename=f"{entry.document_type}.bin",
            content_base64=base64.b64encode(b"%PDF-1.7 synthetic").decode(),
        )
        for entry in example.sources
    ]


def _build(example: DataPackage, **overrides: object) -> DataPackage:
    arguments: dict[str, object] = {
        "provider": example.provider,
        "reference": "APP-2026-0001",
        "subjects": example.subjects,
        "sources": example.sources,
        "consents": consents_for(example),
        "documents": _documents(example),
        "include_documents": False,
    }
    arguments.update(overrides)
    return build_package(**arguments)  # type: ignore[arg-type]


def test_documents_are_dropped_unless_the_provider_asks(example: DataPackage) -> None:
    assert _build(example).documents == []
    with_docs = _build(example, include_documents=True)
    assert {d.source_ref for d in with_docs.documents} == {e.id for e in example.sources}


def test_package_holds_subjects_sources_consents_and_a_fresh_id(example: DataPackage) -> None:
    first, second = _build(example), _build(example)
    assert first.package_id != second.package_id
    assert first.package_id.startswith("pkg_")
    assert first.provider_reference == "APP-2026-0001"
    assert [c.subject for c in first.consents] == [s.role for s in example.subjects]
    assert first.subjects == example.subjects


def test_a_subject_without_consent_is_refused(example: DataPackage) -> None:
    only_applicant = [c for c in consents_for(example) if c.subject == "applicant"]
    with pytest.raises(ConsentMissing, match="partner"):
        _build(example, consents=only_applicant)


def test_a_consent_for_other_data_is_refused(example: DataPackage) -> None:
    applicant = example.subjects[0]
    changed = applicant.model_copy(update={"incomes": example.subjects[1].incomes})
    with pytest.raises(ConsentMissing, match="other data"):
        _build(example, subjects=[changed, example.subjects[1]])


def test_a_consent_for_another_provider_is_refused(example: DataPackage) -> None:
    other = ProviderRef(id="other-provider", name="Another")
    consents = [
        make_consent(s, example.sources, other, "nl", CONSENT_AT, login_before(CONSENT_AT))
        for s in example.subjects
    ]
    with pytest.raises(ConsentMissing, match="another provider"):
        _build(example, consents=consents)


def test_package_bytes_are_canonical_and_round_trip(package: DataPackage) -> None:
    data = package_bytes(package)
    assert (
        data
        == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert DataPackage.model_validate_json(data) == package
