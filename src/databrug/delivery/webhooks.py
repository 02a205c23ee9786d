"""Webhooks to the provider, per Standard Webhooks (https://www.standardwebhooks.com/), with retries.

Signing: headers ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``:
``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``, where ``key`` is the base64-decoded part of a
``whsec_<base64>`` secret. During rotation the registration lists two secrets and every message carries one
signature per secret, space-separated, so the provider may verify with either.

Body: ``{"type": ..., "timestamp": ISO-8601, "data": {...}}`` as canonical JSON. The same event id and body
go out on every retry (the provider de-duplicates by ``webhook-id``); the timestamp header and signature are
fresh per attempt.

Order: the events of one session go out one at a time, in the session's event order (``order_key`` and
``order``; see ``outbox.heads``): a later event waits while an earlier one is retried, and a lease that lapsed
with a dead process brings back the earlier one first.

Retries: exponential backoff with full jitter (a uniform delay in ``[0, min(cap, base * 2**(n-1))]`` after the
n-th failed attempt), for the whole pick-up window: the last attempt is made at the window's end. Any 2xx
ends it; anything else (another status, refused connection, timeout) is retried. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from databrug.consent import canonical_json
from databrug.delivery.outbox import Outbox, PendingDelivery
from databrug.metrics import BrokerMetrics
from databrug.observability.tracing import span

_log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
SIGNATURE_VERSION = "v1"


class WebhookSecretInvalid(ValueError):
    code = "webhook_secret_invalid"


def new_webhook_secret() -> str:
    """A fresh ``whsec_`` secret with 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise WebhookSecretInvalid("webhook secret is not base64 after the whsec_ prefix") from None
    if len(key) < 16:
        raise WebhookSecretInvalid("webhook secret is shorter than 128 bits")
    return key


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``"{id}.{timestamp}.{body}"`` under one secret."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(mac).decode('ascii')}"


def signed_headers(secrets_: Sequence[str], event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers; one signature per live secret."""
    if not secrets_:
        raise WebhookSecretInvalid("no webhook secret to sign with")
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, event_id, timestamp, body) for s in secrets_),
    }


def new_event_id() -> str:
    return "msg_" + secrets.token_urlsafe(16)


@dataclass(frozen=True)
class WebhookEvent:
    """One event for the provider. ``data`` carries ids, states and counts only — never personal data."""

    type: str
    data: Mapping[str, Any]
    id: str = field(default_factory=new_event_id)
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    order_key: str | None = None
    """The session the event belongs to: its events are delivered one at a time, in ``order``."""
    order: float = 0.0
    """The event's place in its session (``PendingDelivery.order``); not part of the body."""

    def body(self) -> bytes:
        return canonical_json(
            {"type": self.type, "timestamp": self.timestamp.isoformat(), "data": dict(self.data)}
        )


@dataclass(frozen=True)
class RetrySchedule:
    """Exponential backoff with full jitter, capped. Seconds."""

    base: float = 5.0
    cap: float = 3600.0

    def delay(self, failed_attempts: int, rng: random.Random) -> float:
        ceiling = min(self.cap, self.base * 2 ** max(failed_attempts - 1, 0))
        return rng.uniform(0.0, ceiling)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class WebhookSender:
    """Works through the outbox: signs and POSTs each due delivery, reschedules failures, stops on 2xx.

    ``secrets_for(provider_id)`` returns the provider's live secrets (newest first); they are read at every
    attempt, so a rotation takes effect on the next retry. Run ``run_due()`` from a periodic task, or
    ``run(stop)`` as a background loop.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        outbox: Outbox,
        secrets_for: Callable[[str], Sequence[str]],
        schedule: RetrySchedule | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
        timeout: float = 10.0,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 32,
        metrics: BrokerMetrics | None = None,
    ) -> None:
        self._client = client
        self._metrics = metrics or BrokerMetrics()
        self._outbox = outbox
        self._secrets_for = secrets_for
        self._schedule = schedule or RetrySchedule()
        self._clock = clock
        self._rng = rng or random.SystemRandom()
        self._timeout = timeout
        self._lease = lease
        self._batch = batch

    async def enqueue(self, provider_id: str, url: str, event: WebhookEvent, deadline: datetime) -> bool:
        """Queue ``event`` for delivery until ``deadline``; False when this event id was queued before."""
        now = self._clock()
        return await self._outbox.add(
            PendingDelivery(
                event_id=event.id,
                provider_id=provider_id,
                url=url,
                body=event.body(),
                deadline=deadline,
                next_attempt_at=now,
                order_key=event.order_key,
                order=event.order,
            )
        )

    async def attempt(self, delivery: PendingDelivery) -> int | None:
        """One signed POST; the HTTP status, or None when no answer came."""
        timestamp = int(self._clock().timestamp())
        try:
            headers = signed_headers(
                self._secrets_for(delivery.provider_id), delivery.event_id, timestamp, delivery.body
            )
        except (WebhookSecretInvalid, LookupError):
            # Never send unsigned; count it as a failed attempt so a fixed registration still delivers.
            _log.warning("webhook not signed: provider=%s event=%s", delivery.provider_id, delivery.event_id)
            return None
        headers["content-type"] = "application/json"
        try:
            async with self._client.stream(
                "POST",
                delivery.url,
                content=delivery.body,
                headers=headers,
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                return response.status_code
        except (httpx.HTTPError, httpx.InvalidURL):
            return None

    async def _work(self, delivery: PendingDelivery) -> bool:
        metrics = self._metrics
        metrics.webhook_lag.observe(max((self._clock() - delivery.next_attempt_at).total_seconds(), 0.0))
        with span("webhook.deliver") as traced:
            status = await self.attempt(delivery)
            traced.status_code(status)
        attempts = delivery.attempts + 1
        now = self._clock()
        if status is not None and 200 <= status < 300:
            metrics.webhook_deliveries.labels("delivered").inc()
            await self._outbox.finish(delivery.event_id, "delivered", attempts, now)
            return True
        if now >= delivery.deadline:
            metrics.webhook_deliveries.labels("gave_up").inc()
            _log.warning("webhook given up: event=%s attempts=%d", delivery.event_id, attempts)
            await self._outbox.finish(delivery.event_id, "gave_up", attempts, now)
            return False
        metrics.webhook_deliveries.labels("failed").inc()
        metrics.webhook_retries.inc()
        _log.info(
            "webhook attempt failed: event=%s attempt=%d status=%s", delivery.event_id, attempts, status
        )
        wait = timedelta(seconds=self._schedule.delay(attempts, self._rng))
        await self._outbox.reschedule(
            delivery.event_id,
            attempts=attempts,
            next_attempt_at=min(now + wait, delivery.deadline),
            last_status=status,
        )
        return False

    async def run_due(self) -> int:
        """Attempt every due delivery once (concurrently); returns how many were delivered."""
        due = await self._outbox.claim_due(self._clock(), self._batch, self._lease)
        results = await asyncio.gather(*(self._work(d) for d in due), return_exceptions=True)
        for delivery, result in zip(due, results, strict=True):
            if isinstance(result, BaseException):  # its lease runs out and it is tried again
                _log.error(
                    "webhook attempt crashed: event=%s error=%s", delivery.event_id, type(result).__name__
                )
        return sum(1 for result in results if result is True)

    async def run(self, stop: asyncio.Event, poll_interval: float = 1.0) -> None:
        """Loop ``run_due`` until ``stop`` is set; a round that delivered something is followed at once by
        the next (a session's next event becomes due only when the one before it is delivered)."""
        while not stop.is_set():
            delivered = 0
            try:
                delivered = await self.run_due()
            except Exception:  # the loop must outlive a store hiccup; the lease brings claims back
                _log.exception("webhook outbox round failed")
            if delivered:
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_interval)
