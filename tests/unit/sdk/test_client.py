"""The SDK client against a fake broker behind httpx.MockTransport: the SDK's own boundary.

Integration tests against the real broker live with the broker's routes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NotRequired, TypedDict

import httpx
import pytest

from databrug.delivery.jwe import seal_package
from databrug.delivery.receipts import DeletionReceipt, generate_signing_key, public_jwks, sign_receipt
from databrug.records import DataPackage
from databrug.sdk import (
    AsyncDatabrugClient,
    DatabrugClient,
    DatabrugError,
    PackageError,
    generate_provider_keys,
)

BASE = "https://broker.test"
SESSION = {
    "id": "ses_1",
    "reference": "APP-1",
    "state": "collecting",
    "sources": ["mijnoverheid"],
    "counts": {"sources_done": 1},
    "created_at": "2026-11-28T12:00:00+00:00",
    "updated_at": "2026-11-28T12:05:00+00:00",
    "expires_at": "2026-11-29T12:00:00+00:00",
}


class _Event(TypedDict):
    session_id: str
    seq: int
    type: str
    state: str
    counts: dict[str, int]
    at: str
    subject: NotRequired[str]
    source: NotRequired[str]
    code: NotRequired[str]


EVENTS: list[_Event] = [  # the broker's own event shape (sessions.events.SessionEvent): "seq", not "id"
    {
        "session_id": "ses_1",
        "seq": 1,
        "type": "session.opened",
        "state": "opened",
        "counts": {},
        "at": "2026-11-28T12:00:01+00:00",
    },
    {
        "session_id": "ses_1",
        "seq": 2,
        "type": "session.paired",
        "state": "paired",
        "counts": {},
        "at": "2026-11-28T12:00:02+00:00",
    },
    {
        "session_id": "ses_1",
        "seq": 3,
        "type": "source.failed",
        "state": "collecting",
        "counts": {"sources_done": 1},
        "at": "2026-11-28T12:01:00+00:00",
        "subject": "applicant",
        "source": "uwv",
        "code": "source_unavailable",
    },
    {
        "session_id": "ses_1",
        "seq": 4,
        "type": "session.acknowledged",
        "state": "acknowledged",
        "counts": {},
        "at": "2026-11-28T12:09:00+00:00",
    },
]


class FakeBroker:
    def __init__(self, package: DataPackage) -> None:
        self.keys = generate_provider_keys()
        self.signing_key = generate_signing_key("broker-1")
        self.sealed = seal_package(package, self.keys.public_jwks)
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()
        self.requests: list[httpx.Request] = []
        self.override: Callable[[httpx.Request], httpx.Response | None] = lambda request: None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        overridden = self.override(request)
        if overridden is not None:
            return overridden
        path = request.url.path
        if path == "/api/v1/token":
            form = dict(x.split("=") for x in request.content.decode().split("&"))
            if form != {"grant_type": "client_credentials", "client_id": "gv", "client_secret": "s3cret"}:
                return _error(401, "invalid_client", "unknown client")
            self.tokens_issued += 1
            token = f"tok{self.tokens_issued}"
            self.valid_tokens.add(token)
            return httpx.Response(
                200, json={"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            )
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.valid_tokens:
            return _error(401, "unauthorised", "bearer token missing or expired")
        if path == "/api/v1/sessions" and request.method == "POST":
            body = json.loads(request.content)
            if "reference" not in body:
                return _error(422, "invalid_request", "reference is required")
            return httpx.Response(
                201,
                json={
                    "id": "ses_1",
                    "citizen_url": "https://broker.test/s/abc",
                    "state": "created",
                    "expires_at": "2026-11-29T12:00:00+00:00",
                },
            )
        if path == "/api/v1/sessions/ses_1":
            return httpx.Response(200, json=SESSION)
        if path == "/api/v1/sessions/ses_1/events":
            if request.headers.get("accept") == "text/event-stream":
                after = int(request.headers.get("last-event-id", "0"))
                return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_sse(after))
            after = int(request.url.params.get("after", "0"))
            return httpx.Response(200, json=[e for e in EVENTS if e["seq"] > after])
        if path == "/api/v1/sessions/ses_1/cancel":
            return httpx.Response(200, json={"id": "ses_1", "state": "cancelled"})
        if path == "/api/v1/sessions/ses_1/package":
            return httpx.Response(
                200, headers={"content-type": "application/jose"}, content=self.sealed.compact
            )
        if path == "/api/v1/sessions/ses_1/package/ack":
            receipt = DeletionReceipt(
                session_id="ses_1",
                package_id="pkg_1",
                provider_id="gezondverzekerd",
                ciphertext_sha256=self.sealed.ciphertext_sha256,
                deleted_at=datetime(2026, 11, 28, 13, tzinfo=UTC),
                reason="acknowledged",
            )
            return httpx.Response(200, json={"receipt": sign_receipt(receipt, self.signing_key)})
        return _error(404, "session_not_found", "no such session")


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def _sse(after: int) -> bytes:
    lines = [": keep-alive", ""]
    for event in EVENTS:
        if event["seq"] > after:
            lines += [f"id: {event['seq']}", f"event: {event['type']}", f"data: {json.dumps(event)}", ""]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def broker(package: DataPackage) -> FakeBroker:
    return FakeBroker(package)


def _client(broker: FakeBroker, **kwargs: Any) -> DatabrugClient:
    return DatabrugClient(
        BASE,
        "gv",
        "s3cret",
        private_jwks=broker.keys.private_jwks,
        broker_jwks=public_jwks(broker.signing_key),
        transport=httpx.MockTransport(broker.handle),
        **kwargs,
    )


def test_full_provider_flow(broker: FakeBroker, package: DataPackage) -> None:
    with _client(broker) as client:
        created = client.create_session("APP-1", invitee_email="a@example.test", sources=["mijnoverheid"])
        assert (created.id, created.state) == ("ses_1", "created")
        status = client.get_session(created.id)
        assert (status.state, status.counts) == ("collecting", {"sources_done": 1})
        events = client.events(created.id, after=1)
        assert [(e.id, e.type) for e in events] == [
            (2, "session.paired"),
            (3, "source.failed"),
            (4, "session.acknowledged"),
        ]
        assert (events[1].source, events[1].code, events[1].counts) == (
            "uwv",
            "source_unavailable",
            {"sources_done": 1},
        )
        assert client.fetch_package(created.id) == package
        jwe = client.fetch_package_jwe(created.id)
        ack = client.acknowledge(created.id)
        assert ack.receipt is not None
        assert ack.receipt.ciphertext_sha256 == broker.sealed.ciphertext_sha256
        assert ack.matches(jwe)
        assert not ack.matches(jwe + "x")
        client.cancel(created.id)
    assert broker.tokens_issued == 1  # the token is cached
    create = next(r for r in broker.requests if r.url.path == "/api/v1/sessions")
    assert json.loads(create.content) == {
        "reference": "APP-1",
        "invitee_email": "a@example.test",
        "sources": ["mijnoverheid"],
    }
    assert all(
        r.url.path == "/api/v1/token" or r.headers["authorization"] == "Bearer tok1" for r in broker.requests
    )


def test_follow_events_over_sse_stops_at_a_final_state(broker: FakeBroker) -> None:
    with _client(broker) as client:
        events = list(client.follow_events("ses_1", last_event_id=2))
    assert [(e.id, e.type) for e in events] == [(3, "source.failed"), (4, "session.acknowledged")]
    assert events[-1].is_final
    sse = next(r for r in broker.requests if r.headers.get("accept") == "text/event-stream")
    assert sse.headers["last-event-id"] == "2"


def test_broker_errors_become_databrug_errors(broker: FakeBroker) -> None:
    with _client(broker) as client, pytest.raises(DatabrugError) as caught:
        client.get_session("ses_unknown")
    assert (caught.value.code, caught.value.status) == ("session_not_found", 404)
    broker.override = lambda r: (
        httpx.Response(502, text="<html>bad gateway</html>") if "sessions" in r.url.path else None
    )
    with _client(broker) as client, pytest.raises(DatabrugError) as caught:
        client.get_session("ses_1")
    assert (caught.value.code, caught.value.status) == ("http_502", 502)


def test_bad_credentials_raise(broker: FakeBroker) -> None:
    client = DatabrugClient(BASE, "gv", "wrong", transport=httpx.MockTransport(broker.handle))
    with client, pytest.raises(DatabrugError) as caught:
        client.get_session("ses_1")
    assert caught.value.code == "invalid_client"


def test_an_expired_token_is_renewed_once(broker: FakeBroker) -> None:
    with _client(broker) as client:
        client.get_session("ses_1")
        broker.valid_tokens.clear()  # the broker forgot / rotated its token key
        assert client.get_session("ses_1").id == "ses_1"
    assert broker.tokens_issued == 2


def test_session_ids_are_escaped_in_paths(broker: FakeBroker) -> None:
    with _client(broker) as client, pytest.raises(DatabrugError):
        client.get_session("../token")
    assert broker.requests[-1].url.raw_path == b"/api/v1/sessions/..%2Ftoken"


def test_a_package_for_other_keys_fails_to_decrypt(broker: FakeBroker) -> None:
    client = DatabrugClient(
        BASE,
        "gv",
        "s3cret",
        private_jwks=generate_provider_keys().private_jwks,
        transport=httpx.MockTransport(broker.handle),
    )
    with client, pytest.raises(PackageError):
        client.fetch_package("ses_1")


def test_a_forged_receipt_is_refused(broker: FakeBroker) -> None:
    client = _client(broker)  # trusts the broker's published key
    broker.signing_key = generate_signing_key("broker-1")  # someone else signs, same kid
    with client, pytest.raises(DatabrugError) as caught:
        client.acknowledge("ses_1")
    assert caught.value.code == "receipt_invalid"


def test_an_unreachable_broker_raises() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with (
        DatabrugClient(BASE, "gv", "s", transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(DatabrugError) as caught,
    ):
        client.get_session("ses_1")
    assert caught.value.code == "broker_unreachable"


async def test_async_client_same_flow(broker: FakeBroker, package: DataPackage) -> None:
    async with AsyncDatabrugClient(
        BASE,
        "gv",
        "s3cret",
        private_jwks=broker.keys.private_jwks,
        broker_jwks=public_jwks(broker.signing_key),
        transport=httpx.MockTransport(broker.handle),
    ) as client:
        assert (await client.create_session("APP-1")).id == "ses_1"
        assert (await client.get_session("ses_1")).reference == "APP-1"
        assert len(await client.events("ses_1")) == 4
        assert [e.id async for e in client.follow_events("ses_1")] == [1, 2, 3, 4]
        assert await client.fetch_package("ses_1") == package
        assert (await client.acknowledge("ses_1")).receipt is not None
        await client.cancel("ses_1")
        with pytest.raises(DatabrugError) as caught:
            await client.get_session("nope")
        assert caught.value.status == 404
