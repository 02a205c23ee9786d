"""docs/sdk.md tells a provider what arrives and where the keys are: checked against the code, so the doc
cannot drift from the broker's event catalogue or the address it serves its keys at (issue 19)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from tests.unit.broker.fakes import build_world

from databrug.delivery.events import PACKAGE_DELETED, PACKAGE_READY
from databrug.sdk import RECEIPT_KEYS_PATH
from databrug.sessions.events import EventType
from databrug.web.app import create_app

SDK_DOC = Path(__file__).resolve().parents[3] / "docs" / "sdk.md"


def _documented_session_events() -> list[str]:
    text = SDK_DOC.read_text(encoding="utf-8")
    table = text.split("<!-- session-event-types -->")[1].split("<!-- /session-event-types -->")[0]
    return re.findall(r"^\| `([a-z_.]+)` \|", table, flags=re.MULTILINE)


def test_the_doc_lists_every_session_event_the_broker_sends_and_no_other() -> None:
    documented = _documented_session_events()
    assert len(documented) == len(set(documented)), "an event type listed twice"
    assert set(documented) == {t.value for t in EventType}


def test_the_doc_names_the_package_events_and_the_key_address_the_broker_serves() -> None:
    text = SDK_DOC.read_text(encoding="utf-8")
    for event in (PACKAGE_READY, PACKAGE_DELETED):
        assert f"`{event}`" in text
    assert f"`{RECEIPT_KEYS_PATH}`" in text
    assert "jwks.json`" not in text.replace("erasure-keys.json`", ""), "an address the broker does not serve"
    with TestClient(create_app(build_world("single-renter-low-wage").broker, background=False)) as broker:
        served = broker.get(RECEIPT_KEYS_PATH)
    assert served.status_code == 200
    assert served.json()["keys"], "the broker serves its signing keys where the doc and the SDK say"
