from __future__ import annotations

from pathlib import Path

import pytest

from databrug.records import DataPackage

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.fixture
def couple() -> DataPackage:
    return DataPackage.model_validate_json((EXAMPLES / "couple-with-partner.json").read_bytes())
