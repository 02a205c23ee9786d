"""The committed OpenAPI document of the provider API matches the running code."""

from __future__ import annotations

import json
from pathlib import Path

from databrug.cli import openapi_text

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), (
        "docs/api/openapi.json is stale: run `make schema` and commit the result"
    )


def test_every_provider_operation_is_documented_with_errors() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    paths = document["paths"]
    for path in ("/api/v1/token", "/api/v1/sessions", "/api/v1/sessions/{session_id}/package/ack"):
        assert path in paths
    assert "/c/qr" not in paths  # citizen pages are not part of the provider API
