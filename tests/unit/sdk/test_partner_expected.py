"""The SDK says at session creation that the applicant declared a partner, and only then (issue 15)."""

from __future__ import annotations

import json

import httpx
import pytest

from databrug.sdk import AsyncDatabrugClient, DatabrugClient

BASE = "https://broker.test"


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 3600})
        self.bodies.append(json.loads(request.content))
        created = {"id": "ses_1", "citizen_url": f"{BASE}/start?t=x", "state": "created"}
        return httpx.Response(201, json={**created, "expires_at": "2026-11-29T12:00:00+00:00"})


@pytest.mark.parametrize(("expected", "sent"), [(True, {"partner_expected": True}), (False, {})])
def test_create_session_sends_partner_expected_only_when_set(expected: bool, sent: dict[str, object]) -> None:
    recorder = Recorder()
    with DatabrugClient(BASE, "gv", "s3cret", transport=httpx.MockTransport(recorder.handle)) as client:
        client.create_session("APP-1", partner_expected=expected)
    assert recorder.bodies == [{"reference": "APP-1", **sent}]


async def test_the_async_client_sends_it_too() -> None:
    recorder = Recorder()
    transport = httpx.MockTransport(recorder.handle)
    async with AsyncDatabrugClient(BASE, "gv", "s3cret", transport=transport) as client:
        await client.create_session("APP-1", partner_expected=True)
    assert recorder.bodies == [{"reference": "APP-1", "partner_expected": True}]
