from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from databrug.delivery.webhooks import (
    WebhookEvent,
    WebhookSecretInvalid,
    new_webhook_secret,
    signature,
    signed_headers,
)


def test_matches_the_standard_webhooks_published_vector() -> None:
    # The vector every Standard Webhooks / Svix library tests against.
    assert (
        signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_headers_carry_one_signature_per_live_secret() -> None:
    new, old = new_webhook_secret(), new_webhook_secret()
    headers = signed_headers([new, old], "msg_1", 1_700_000_000, b"{}")
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == "1700000000"
    parts = headers["webhook-signature"].split(" ")
    assert len(parts) == 2
    for secret, part in zip([new, old], parts, strict=True):
        key = base64.b64decode(secret.removeprefix("whsec_"))
        mac = hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()
        assert part == "v1," + base64.b64encode(mac).decode()


def test_secrets_are_whsec_base64_with_at_least_128_bits() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    with pytest.raises(WebhookSecretInvalid):
        signature("whsec_not base64!", "msg_1", 1, b"")
    with pytest.raises(WebhookSecretInvalid):
        signature("whsec_" + base64.b64encode(b"short").decode(), "msg_1", 1, b"")
    with pytest.raises(WebhookSecretInvalid):
        signed_headers([], "msg_1", 1, b"")


def test_event_body_is_the_standard_envelope() -> None:
    event = WebhookEvent(
        type="package.ready", data={"session_id": "ses_1"}, timestamp=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert json.loads(event.body()) == {
        "type": "package.ready",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "data": {"session_id": "ses_1"},
    }
    assert event.id.startswith("msg_")
    assert WebhookEvent(type="x", data={}).id != event.id
