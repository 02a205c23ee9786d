"""The status read's hand-built JSON is a whole ``SessionStatus`` document: it validates against the declared
model and dumps back unchanged (no field missing, none extra, every value in the model's own form)."""

from __future__ import annotations

import json

from tests.support.subjects import SUBJECT

from databrug.sessions.clock import ManualClock
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.model import SessionRecord
from databrug.sessions.service import SessionService, SessionSettings
from databrug.web.provider_api import status_json, status_of

SETTINGS = SessionSettings(idle_timeout_seconds=1800, lifetime_seconds=86400, pickup_window_seconds=3600)


def same_document(record: SessionRecord) -> None:
    assert json.loads(status_json(record)) == status_of(record).model_dump(mode="json")


async def test_status_json_matches_the_model_through_a_session() -> None:
    service = SessionService(MemorySessionStore(), ManualClock(), SETTINGS)
    record, page = await service.create_session(
        "provider", "CASE-1", ["mijnoverheid", "uwv", "belastingdienst"], partner_mode="optional"
    )
    same_document(record)
    app = await service.app_session(await service.pairing.start_on_phone(page))
    same_document(app.record)
    await service.mark_authenticated(app, "applicant", "substantieel", SUBJECT["applicant"])
    await service.source_started(app, "applicant", "mijnoverheid")
    await service.source_completed(app, "applicant", "mijnoverheid", 4)
    await service.source_failed(app, "applicant", "uwv", "source_unavailable")
    record = await service.require_partner(app)
    same_document(record)
    record = await service.cancel_by_provider(app.session_id, "provider")
    assert record.ended_code is not None or record.state.value == "cancelled"
    document = json.loads(status_json(record))
    assert document["progress"]["applicant"]["uwv"]["error_code"] == "source_unavailable"
    assert document["counts"]["records"] == 4
    same_document(record)
