"""Provider-side verification. Messages are signed here independently of the broker code (plain hmac)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

import pytest

from databrug.sdk import MemoryReplayCache, WebhookReplayed, WebhookVerificationError, verify_webhook

NOW = 1_764_331_200
BODY = json.dumps(
    {"type": "package.ready", "timestamp": "2025-11-28T12:00:00+00:00", "data": {"session_id": "s1"}}
).encode()


def _secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _sign(secret: str, msg_id: str, ts: int, body: bytes) -> str:
    key = base64.b64decode(secret[len("whsec_") :])
    return (
        "v1,"
        + base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    )


def _headers(
    secret_list: list[str], msg_id: str = "msg_1", ts: int = NOW, body: bytes = BODY
) -> dict[str, str]:
    return {
        "Webhook-Id": msg_id,
        "Webhook-Timestamp": str(ts),
        "Webhook-Signature": " ".join(_sign(s, msg_id, ts, body) for s in secret_list),
    }


def test_valid_webhook_gives_the_event() -> None:
    secret = _secret()
    event = verify_webhook(_headers([secret]), BODY, secret, now=NOW)
    assert (event.id, event.type, event.data) == ("msg_1", "package.ready", {"session_id": "s1"})


def test_published_vector_verifies() -> None:
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"type": "t", "timestamp": "2021-02-25T15:02:10+00:00", "test": 2432232314}'
    with pytest.raises(WebhookVerificationError, match="signature"):
        # the vector's signature covers its own body only
        verify_webhook(headers, body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", now=1614265330)
    with pytest.raises(WebhookVerificationError, match="body"):
        # signature fine, but the vector's body is not a Databrug event envelope
        verify_webhook(
            headers, b'{"test": 2432232314}', "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", now=1614265330
        )


@pytest.mark.parametrize(
    "forge",
    [
        lambda h, b: (h, b.replace(b"s1", b"s2")),  # body changed
        lambda h, b: ({**h, "Webhook-Id": "msg_2"}, b),  # id changed
        lambda h, b: ({**h, "Webhook-Timestamp": str(NOW + 1)}, b),  # timestamp changed
        lambda h, b: ({**h, "Webhook-Signature": _sign(_secret(), "msg_1", NOW, b)}, b),  # other secret
        lambda h, b: ({**h, "Webhook-Signature": "v2," + h["Webhook-Signature"][3:]}, b),  # unknown version
        lambda h, b: ({**h, "Webhook-Signature": ""}, b),
    ],
)
def test_forged_or_altered_webhooks_are_rejected(forge: object) -> None:
    secret = _secret()
    headers, body = forge(_headers([secret]), BODY)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError) as caught:
        verify_webhook(headers, body, secret, now=NOW)
    assert not isinstance(caught.value, WebhookReplayed)


def test_missing_header_is_rejected() -> None:
    secret = _secret()
    headers = _headers([secret])
    del headers["Webhook-Signature"]
    with pytest.raises(WebhookVerificationError, match="webhook-signature"):
        verify_webhook(headers, BODY, secret, now=NOW)


@pytest.mark.parametrize(("offset", "code"), [(-301, "too_old"), (301, "in_future"), (-86_400, "too_old")])
def test_stale_or_future_timestamps_are_rejected(offset: int, code: str) -> None:
    secret = _secret()
    headers = _headers([secret], ts=NOW + offset)
    with pytest.raises(WebhookVerificationError) as caught:
        verify_webhook(headers, BODY, secret, now=NOW)
    assert caught.value.code == f"webhook_timestamp_{code}"
    assert verify_webhook(headers, BODY, secret, tolerance=86_401, now=NOW).id == "msg_1"


def test_replayed_id_is_rejected_within_the_window() -> None:
    secret, cache = _secret(), MemoryReplayCache()
    verify_webhook(_headers([secret]), BODY, secret, replay_cache=cache, now=NOW)
    with pytest.raises(WebhookReplayed):
        verify_webhook(_headers([secret], ts=NOW + 10), BODY, secret, replay_cache=cache, now=NOW + 10)
    assert (
        verify_webhook(_headers([secret], "msg_other"), BODY, secret, replay_cache=cache, now=NOW).id
        == "msg_other"
    )
    cache.forget("msg_1")  # handling failed: accept the broker's retry
    assert verify_webhook(_headers([secret]), BODY, secret, replay_cache=cache, now=NOW).id == "msg_1"


def test_a_forged_message_does_not_poison_the_replay_cache() -> None:
    secret, cache = _secret(), MemoryReplayCache()
    with pytest.raises(WebhookVerificationError):
        verify_webhook(_headers([_secret()]), BODY, secret, replay_cache=cache, now=NOW)
    assert verify_webhook(_headers([secret]), BODY, secret, replay_cache=cache, now=NOW).id == "msg_1"


def test_rotation_either_secret_verifies_either_signature() -> None:
    old, new = _secret(), _secret()
    both_signed = _headers([new, old])
    assert verify_webhook(both_signed, BODY, old, now=NOW).id == "msg_1"  # provider not yet rotated
    assert verify_webhook(both_signed, BODY, new, now=NOW).id == "msg_1"
    old_signed = _headers([old])
    assert verify_webhook(old_signed, BODY, [new, old], now=NOW).id == "msg_1"  # broker not yet rotated
    with pytest.raises(WebhookVerificationError):
        verify_webhook(old_signed, BODY, [new], now=NOW)
