"""The committed JSON Schema matches the model, and the example packages validate against both."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from databrug.records import DataPackage
from databrug.records.schema import package_json_schema, package_json_schema_text

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_FILE = ROOT / "docs" / "schema" / "data-package-1.0.schema.json"
EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.json"))


def test_committed_schema_matches_the_model() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == package_json_schema_text(), (
        "docs/schema is stale: run `make schema` and commit the result"
    )


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates_against_model_and_schema(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    package = DataPackage.model_validate_json(path.read_bytes())
    jsonschema.Draft202012Validator(package_json_schema()).validate(document)
    # Round trip: what the model serialises is what was committed.
    assert json.loads(package.model_dump_json()) == document


def example() -> dict[str, Any]:
    path = ROOT / "docs" / "examples" / "single-renter.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def test_record_pointing_to_unknown_source_is_refused() -> None:
    data = example()
    data["sources"] = [s for s in data["sources"] if s["document_type"] != "verzekeringsbericht"]
    with pytest.raises(ValidationError, match="unknown sources"):
        DataPackage.model_validate(data)


def test_duplicate_roles_are_refused() -> None:
    data = example()
    data["subjects"].append(copy.deepcopy(data["subjects"][0]))
    with pytest.raises(ValidationError, match="at most once"):
        DataPackage.model_validate(data)


def test_schema_rejects_float_money_too() -> None:
    data = example()
    data["subjects"][0]["incomes"]["relations"][0]["periods"][0]["sv_wage"] = 1985.4
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(package_json_schema()).validate(data)


@pytest.mark.parametrize("amount", ["1985,40", "1e3", "1985.4", "€ 1985.40", "1985.400", " 1985.40"])
def test_a_standard_validator_refuses_an_amount_that_is_not_euros_and_cents(amount: str) -> None:
    """``euro-amount`` is no format a standard validator knows (it would pass anything); the pattern it can
    check refuses what the model refuses."""
    data = example()
    data["subjects"][0]["incomes"]["relations"][0]["periods"][0]["sv_wage"] = amount
    with pytest.raises(jsonschema.ValidationError, match="does not match"):
        jsonschema.Draft202012Validator(package_json_schema()).validate(data)


def test_a_correction_in_euros_and_cents_passes_the_pattern() -> None:
    data = example()
    data["subjects"][0]["incomes"]["relations"][0]["periods"][0]["sv_wage"] = (
        "-12.50"  # a negative correction
    )
    package = DataPackage.model_validate(data)
    dumped = json.loads(package.model_dump_json())
    jsonschema.Draft202012Validator(package_json_schema()).validate(dumped)
    assert dumped["subjects"][0]["incomes"]["relations"][0]["periods"][0]["sv_wage"] == "-12.50"
