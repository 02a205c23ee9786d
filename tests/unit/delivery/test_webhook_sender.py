from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from databrug.delivery.outbox import FinishedDelivery, MemoryOutbox, PendingDelivery
from databrug.delivery.webhooks import RetrySchedule, WebhookEvent, WebhookSender, new_webhook_secret
from databrug.sdk.webhooks import verify_webhook

from .loopback_receiver import LoopbackReceiver

FAST = RetrySchedule(base=0.01, cap=0.05)
SECRET = new_webhook_secret()


async def _until(condition: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    async def wait() -> None:
        while not await condition():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(wait(), timeout)


def _secrets(provider_id: str) -> list[str]:
    assert provider_id == "gezondverzekerd"
    return [SECRET]


async def test_retries_through_an_outage_and_delivers_exactly_once() -> None:
    phase = {"status": 503}
    receiver = LoopbackReceiver(answer=lambda headers, body: phase["status"])
    await receiver.start()
    outbox = MemoryOutbox()
    event = WebhookEvent(type="package.ready", data={"session_id": "ses_1", "package_id": "pkg_1"})
    async with httpx.AsyncClient() as client:
        sender = WebhookSender(client, outbox, _secrets, FAST, timeout=1.0)
        deadline = datetime.now(UTC) + timedelta(minutes=5)
        assert await sender.enqueue("gezondverzekerd", receiver.url, event, deadline)
        assert not await sender.enqueue("gezondverzekerd", receiver.url, event, deadline)  # idempotent by id
        stop = asyncio.Event()
        loop = asyncio.create_task(sender.run(stop, poll_interval=0.005))
        try:
            await _until(lambda: asyncio.sleep(0, len(receiver.received) >= 2))  # answered 503 twice
            await receiver.stop()  # the provider goes down: connection refused

            async def failed_while_down() -> bool:
                pending = await outbox.get(event.id)
                return (
                    isinstance(pending, PendingDelivery)
                    and pending.attempts >= 4
                    and pending.last_status is None
                )

            await _until(failed_while_down)
            phase["status"] = 200
            await receiver.start()  # back on the same port
            await _until(lambda: _finished(outbox, event.id))
            await asyncio.sleep(0.1)  # would any further attempt happen?
        finally:
            stop.set()
            await loop
            await receiver.stop()

    delivered = [r for r in receiver.received if r.answered == 200]
    assert len(delivered) == 1
    assert {r.headers["webhook-id"] for r in receiver.received} == {event.id}
    assert all(r.body == event.body() for r in receiver.received)
    for request in receiver.received:  # every attempt verifies with the provider-side SDK
        assert verify_webhook(request.headers, request.body, SECRET).type == "package.ready"
    finished = await outbox.get(event.id)
    assert isinstance(finished, FinishedDelivery)
    assert finished.outcome == "delivered"
    assert finished.attempts > len(receiver.received)


async def _finished(outbox: MemoryOutbox, event_id: str) -> bool:
    return isinstance(await outbox.get(event_id), FinishedDelivery)


async def test_gives_up_at_the_end_of_the_window_after_a_last_attempt() -> None:
    receiver = LoopbackReceiver(answer=lambda headers, body: 500)
    await receiver.start()
    outbox = MemoryOutbox()
    event = WebhookEvent(type="session.expired", data={"session_id": "ses_2"})
    async with httpx.AsyncClient() as client:
        sender = WebhookSender(client, outbox, _secrets, FAST)
        deadline = datetime.now(UTC) + timedelta(seconds=0.3)
        await sender.enqueue("gezondverzekerd", receiver.url, event, deadline)
        stop = asyncio.Event()
        loop = asyncio.create_task(sender.run(stop, poll_interval=0.005))
        try:
            await _until(lambda: _finished(outbox, event.id))
        finally:
            stop.set()
            await loop
            await receiver.stop()
    finished = await outbox.get(event.id)
    assert isinstance(finished, FinishedDelivery)
    assert finished.outcome == "gave_up"
    assert finished.finished_at >= deadline  # kept trying for the whole window
    assert len(receiver.received) >= 3


async def test_a_rotated_secret_is_used_from_the_next_attempt() -> None:
    live = [new_webhook_secret()]
    rotated = new_webhook_secret()
    answers = iter([503, 200])
    receiver = LoopbackReceiver(answer=lambda headers, body: next(answers))
    await receiver.start()
    outbox = MemoryOutbox()
    event = WebhookEvent(type="package.ready", data={})
    async with httpx.AsyncClient() as client:
        sender = WebhookSender(client, outbox, lambda _: list(live), RetrySchedule(base=0.0, cap=0.0))
        await sender.enqueue("p", receiver.url, event, datetime.now(UTC) + timedelta(minutes=1))
        await sender.run_due()
        live.insert(0, rotated)  # rotation: new secret first, old one still live
        await sender.run_due()
        await receiver.stop()
    first, second = receiver.received
    assert len(first.headers["webhook-signature"].split(" ")) == 1
    assert len(second.headers["webhook-signature"].split(" ")) == 2
    assert verify_webhook(second.headers, second.body, rotated).id == event.id
    assert verify_webhook(second.headers, second.body, live[1]).id == event.id


def test_backoff_is_full_jitter_exponential_and_capped() -> None:
    schedule = RetrySchedule(base=2.0, cap=60.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (6, 60.0), (20, 60.0)]:
        delays = [schedule.delay(attempt, rng) for _ in range(300)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not a fixed step
        assert min(delays) < ceiling * 0.2


@pytest.mark.parametrize("status", [301, 400, 410, 500])
async def test_non_2xx_answers_are_retried(status: int) -> None:
    outbox = MemoryOutbox()
    transport = httpx.MockTransport(lambda request: httpx.Response(status))
    async with httpx.AsyncClient(transport=transport) as client:
        sender = WebhookSender(client, outbox, _secrets, FAST)
        event = WebhookEvent(type="x", data={})
        await sender.enqueue(
            "gezondverzekerd", "http://127.0.0.1:9/hook", event, datetime.now(UTC) + timedelta(minutes=1)
        )
        assert await sender.run_due() == 0
    pending = await outbox.get(event.id)
    assert isinstance(pending, PendingDelivery)
    assert (pending.attempts, pending.last_status) == (1, status)


async def test_a_claimed_delivery_is_not_claimed_twice() -> None:
    outbox = MemoryOutbox()
    now = datetime.now(UTC)
    delivery = PendingDelivery("msg_1", "p", "http://x", b"{}", now + timedelta(hours=1), now)
    await outbox.add(delivery)
    assert len(await outbox.claim_due(now, 10, timedelta(seconds=30))) == 1
    assert await outbox.claim_due(now, 10, timedelta(seconds=30)) == []
    assert len(await outbox.claim_due(now + timedelta(seconds=31), 10, timedelta(seconds=30))) == 1


async def test_without_a_secret_nothing_is_sent_unsigned() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    outbox = MemoryOutbox()
    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as client:
        sender = WebhookSender(client, outbox, lambda _: [], FAST)
        event = WebhookEvent(type="x", data={})
        await sender.enqueue("p", "http://127.0.0.1:9/hook", event, datetime.now(UTC) + timedelta(minutes=1))
        assert await sender.run_due() == 0
    assert sent == []
    pending = await outbox.get(event.id)
    assert isinstance(pending, PendingDelivery)
    assert pending.attempts == 1


async def test_the_same_session_step_is_queued_once_across_processes() -> None:
    from databrug.delivery.events import session_event

    outbox = MemoryOutbox()  # shared store; two broker processes each enqueue the step
    at = datetime(2026, 11, 28, 12, tzinfo=UTC)
    first = session_event("ses_1", 3, "source.completed", "collecting", at, {"sources_done": 2})
    again = session_event("ses_1", 3, "source.completed", "collecting", at, {"sources_done": 2})
    async with httpx.AsyncClient() as client:
        one = WebhookSender(client, outbox, _secrets, FAST)
        two = WebhookSender(client, outbox, _secrets, FAST)
        deadline = at + timedelta(days=1)
        assert await one.enqueue("gezondverzekerd", "http://127.0.0.1:9/h", first, deadline)
        assert not await two.enqueue("gezondverzekerd", "http://127.0.0.1:9/h", again, deadline)
    assert first.id == again.id == "msg_ses_1_3"
    assert first.body() == again.body()
    failed = session_event(
        "ses_1", 4, "source.failed", "collecting", at, None, {"source": "uwv", "code": None}
    )
    assert failed.data == {
        "session_id": "ses_1",
        "sequence": 4,
        "state": "collecting",
        "counts": {},
        "source": "uwv",
    }


async def test_the_sender_loop_survives_a_failing_outbox() -> None:
    class FlakyOutbox(MemoryOutbox):
        calls = 0

        async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[PendingDelivery]:
            FlakyOutbox.calls += 1
            if FlakyOutbox.calls == 1:
                raise ConnectionError("store unavailable")
            return await super().claim_due(now, limit, lease)

    outbox = FlakyOutbox()
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(204))) as client:
        sender = WebhookSender(client, outbox, _secrets, FAST)
        event = WebhookEvent(type="x", data={})
        await sender.enqueue(
            "gezondverzekerd", "http://127.0.0.1:9/h", event, datetime.now(UTC) + timedelta(minutes=1)
        )
        stop = asyncio.Event()
        loop = asyncio.create_task(sender.run(stop, poll_interval=0.005))
        try:
            await _until(lambda: _finished(outbox, event.id))
        finally:
            stop.set()
            await loop
    assert FlakyOutbox.calls >= 2


async def test_a_bad_url_is_a_failed_attempt_and_does_not_stop_the_others() -> None:
    receiver = LoopbackReceiver()
    await receiver.start()
    outbox = MemoryOutbox()
    async with httpx.AsyncClient() as client:
        sender = WebhookSender(client, outbox, _secrets, FAST)
        deadline = datetime.now(UTC) + timedelta(minutes=1)
        broken, fine = WebhookEvent(type="x", data={}), WebhookEvent(type="x", data={})
        await sender.enqueue("gezondverzekerd", "http://[::1/h", broken, deadline)
        await sender.enqueue("gezondverzekerd", receiver.url, fine, deadline)
        try:
            assert await sender.run_due() == 1
        finally:
            await receiver.stop()
    assert isinstance(await outbox.get(fine.id), FinishedDelivery)
    pending = await outbox.get(broken.id)
    assert isinstance(pending, PendingDelivery)
    assert (pending.attempts, pending.last_status) == (1, None)
