"""The provider API's OpenAPI document, as committed under docs/api/ (a test fails on drift)."""

from __future__ import annotations

import json
from pathlib import Path

from databrug.bootstrap import build_broker
from databrug.config import Settings
from databrug.web.app import create_app


def openapi_text() -> str:
    broker = build_broker(Settings(providers_file=Path("/nonexistent/providers.json")))
    document = create_app(broker, background=False).openapi()
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
