from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.support.consent_logins import login_before

from databrug.consent import make_consent
from databrug.delivery.package import build_package
from databrug.records import DataPackage

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.fixture
def package() -> DataPackage:
    example = DataPackage.model_validate_json((EXAMPLES / "couple-with-partner.json").read_bytes())
    at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    consents = [
        make_consent(s, example.sources, example.provider, "en", at, login_before(at))
        for s in example.subjects
    ]
    return build_package(
        example.provider, "APP-1", example.subjects, example.sources, consents, None, include_documents=False
    )
