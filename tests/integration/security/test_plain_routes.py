"""The provider routes served without FastAPI's dependency solving (``web/plain_route.py``) answer bad
requests exactly as the declared schema promises: the access token is checked before the body, a body that is
not JSON or does not match the model is a 422 validation_failed naming the fields, and a good one is a 201."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from databrug.bootstrap import build_broker
from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.setup import load_endpoints
from databrug.web.app import create_app


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    settings = Settings(providers_file=tmp_path / "providers.json", broker_secret="plain-routes")
    provision_robot(settings, tmp_path / "robot.json")
    endpoints = load_endpoints(tmp_path / "robot.json")
    app = create_app(build_broker(settings), background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://broker.test") as client:
        token = await client.post(
            "/api/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": endpoints.provider_id,
                "client_secret": endpoints.client_secret,
            },
        )
        assert token.status_code == 200, token.text
        yield client, {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_the_token_is_checked_before_the_body(api: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    client, _ = api
    headers = {"content-type": "text/plain"}
    answer = await client.post("/api/v1/sessions", content=b"{not json", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorised"


@pytest.mark.parametrize(
    ("content_type", "body", "fields"),
    [
        ("application/json", b"{}", ["body.reference"]),
        ("application/json", b'{"reference": ""}', ["body.reference"]),
        ("application/json", b'{"reference": "a", "colour": "red"}', ["body.colour"]),
        ("application/json", b'{"reference": "a", "sources": ["uwv", "uwv"]}', ["body.sources"]),
        ("application/json", b"{not json", ["body"]),
        ("text/plain", b'{"reference": "a"}', ["body"]),
        ("", b'{"reference": "a"}', ["body"]),
    ],
)
async def test_a_bad_body_is_a_validation_error_naming_the_fields(
    api: tuple[httpx.AsyncClient, dict[str, str]], content_type: str, body: bytes, fields: list[str]
) -> None:
    client, auth = api
    headers = {**auth, "content-type": content_type} if content_type else auth
    answer = await client.post("/api/v1/sessions", content=body, headers=headers)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"] == fields
    assert "a" not in error.get("input", "")  # the input is not echoed back


async def test_a_good_body_creates_a_session_the_status_route_then_reads(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    created = await client.post(
        "/api/v1/sessions", json={"reference": "case-1", "sources": ["uwv", "mijnoverheid"]}, headers=auth
    )
    assert created.status_code == 201, created.text
    assert created.headers["content-type"] == "application/json"
    session = created.json()
    assert set(session) == {"id", "citizen_url", "state", "expires_at"}
    status = await client.get(f"/api/v1/sessions/{session['id']}", headers=auth)
    assert status.status_code == 200
    assert status.json()["reference"] == "case-1"
    assert status.json()["sources"] == ["uwv", "mijnoverheid"]
    missing = await client.get("/api/v1/sessions/ses_aaaaaaaaaaaaaaaaaaaaaa", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "session_not_found"


async def test_the_event_route_reads_its_query_and_header_as_declared(
    api: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, auth = api
    created = await client.post("/api/v1/sessions", json={"reference": "case-2"}, headers=auth)
    events_url = f"/api/v1/sessions/{created.json()['id']}/events"
    for bad in ("-1", "two"):
        answer = await client.get(events_url, params={"after": bad}, headers=auth)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["fields"] == ["query.after"]
    listed = await client.get(events_url, params={"after": "0"}, headers=auth)
    assert listed.status_code == 200
    assert [event["type"] for event in listed.json()] == ["session.created"]
    assert (await client.get(events_url, params={"after": "1"}, headers=auth)).json() == []
    unauthorised = await client.get(events_url, params={"after": "-1"})
    assert unauthorised.status_code == 401  # the token before the parameters
