from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.consent_logins import login_before

from databrug.consent import make_consent
from databrug.delivery.package import build_package
from databrug.records import ConsentRecord, DataPackage

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
CONSENT_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def example() -> DataPackage:
    return DataPackage.model_validate_json((EXAMPLES / "couple-with-partner.json").read_bytes())


def consents_for(example: DataPackage) -> list[ConsentRecord]:
    return [
        make_consent(s, example.sources, example.provider, "nl", CONSENT_AT, login_before(CONSENT_AT))
        for s in example.subjects
    ]


@pytest.fixture
def package(example: DataPackage) -> DataPackage:
    return build_package(
        example.provider,
        example.provider_reference,
        example.subjects,
        example.sources,
        consents_for(example),
        None,
        include_documents=False,
    )
