"""The memory outbox's bookkeeping is bounded (issue 19): finished ids are remembered long enough to refuse a
repeated event (as the Redis outbox's ``done:<id>`` keys), then forgotten, and never more than a cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from databrug.delivery import outbox as outbox_module
from databrug.delivery.outbox import FINISHED_KEPT, FinishedDelivery, MemoryOutbox, PendingDelivery
from databrug.delivery.redis_outbox import DONE_TTL_SECONDS

START = datetime(2026, 12, 1, tzinfo=UTC)


def _delivery(event_id: str, at: datetime) -> PendingDelivery:
    return PendingDelivery(
        event_id=event_id,
        provider_id="p",
        url="https://provider.example/hook",
        body=b"{}",
        deadline=at + timedelta(hours=24),
        next_attempt_at=at,
    )


async def test_a_finished_id_is_refused_again_within_the_window_and_forgotten_after() -> None:
    box = MemoryOutbox()
    assert await box.add(_delivery("msg_a", START))
    await box.finish("msg_a", "delivered", 1, START)
    assert not await box.add(_delivery("msg_a", START + timedelta(days=1)))  # a repeat: refused
    assert isinstance(await box.get("msg_a"), FinishedDelivery)
    later = START + FINISHED_KEPT + timedelta(seconds=1)
    assert await box.add(_delivery("msg_b", later))
    await box.finish("msg_b", "delivered", 1, later)  # finishing another one sweeps the old
    assert await box.get("msg_a") is None
    assert isinstance(await box.get("msg_b"), FinishedDelivery)


async def test_the_finished_ids_never_exceed_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_module, "MAX_FINISHED", 50)
    box = MemoryOutbox()
    for n in range(200):
        at = START + timedelta(seconds=n)
        assert await box.add(_delivery(f"msg_{n}", at))
        await box.finish(f"msg_{n}", "delivered", 1, at)
    remembered = [n for n in range(200) if await box.get(f"msg_{n}") is not None]
    assert remembered == list(range(150, 200)), "the newest 50, the oldest forgotten first"
    assert await box.pending_count() == 0


def test_both_outboxes_remember_finished_ids_equally_long() -> None:
    assert timedelta(seconds=DONE_TTL_SECONDS) == FINISHED_KEPT
