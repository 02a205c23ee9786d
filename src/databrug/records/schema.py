"""JSON Schema export of the data package; the committed copy lives in docs/schema/."""

from __future__ import annotations

import json
from typing import Any

from databrug.records.package import SCHEMA_VERSION, DataPackage

SCHEMA_ID = f"https://databrug.example/schema/data-package-{SCHEMA_VERSION}.json"


def package_json_schema() -> dict[str, Any]:
    schema = DataPackage.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def package_json_schema_text() -> str:
    return json.dumps(package_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
