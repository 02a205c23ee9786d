"""A package may say the partner was left out, and why (a code), only when it holds no partner data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from databrug.records import DataPackage
from databrug.records.schema import package_json_schema

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def _example(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return document


def test_a_single_applicant_package_may_say_why_the_partner_is_absent() -> None:
    document = {**_example("single-renter.json"), "partner_absent": {"reason": "not_present"}}
    package = DataPackage.model_validate_json(json.dumps(document))
    assert package.partner_absent is not None
    assert package.partner_absent.reason == "not_present"
    jsonschema.validate(document, package_json_schema())
    assert json.loads(package.model_dump_json())["partner_absent"] == {"reason": "not_present"}


@pytest.mark.parametrize("absence", [{"reason": "he was at work"}, {"reason": "other", "note": "x"}])
def test_only_a_listed_reason_code_is_accepted(absence: dict[str, str]) -> None:
    document = {**_example("single-renter.json"), "partner_absent": absence}
    with pytest.raises(ValidationError):
        DataPackage.model_validate_json(json.dumps(document))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, package_json_schema())


def test_a_package_with_the_partner_cannot_say_the_partner_was_absent() -> None:
    document = {**_example("couple-with-partner.json"), "partner_absent": {"reason": "no_digid"}}
    with pytest.raises(ValidationError, match="absent"):
        DataPackage.model_validate_json(json.dumps(document))
