"""Live event fan-out in one process: ordered delivery, slow readers are ended rather than blocking others."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from databrug.sessions.events import EventType, SessionEvent
from databrug.sessions.fanout import LocalFanout
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import new_session_id

SID = new_session_id()


def event(seq: int, session_id: str = SID) -> SessionEvent:
    return SessionEvent(
        session_id=session_id,
        seq=seq,
        type=EventType.SOURCE_STARTED,
        state=SessionState.COLLECTING,
        counts={},
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )


async def test_watchers_get_their_sessions_events_in_order() -> None:
    fanout = LocalFanout()
    mine, other = fanout.add(SID), fanout.add(new_session_id())
    for seq in (1, 2, 3):
        fanout.dispatch(event(seq))
    assert [(await mine.next(0.1)).seq for _ in range(3)] == [1, 2, 3]  # type: ignore[union-attr]
    assert await other.next(0.01) is None


async def test_a_slow_watcher_is_ended_and_the_others_keep_receiving() -> None:
    fanout = LocalFanout()
    slow, fast = fanout.add(SID), fanout.add(SID)
    for seq in range(1, 300):
        fanout.dispatch(event(seq))
        await fast.next(0.01)
    assert slow.overflowed
    received = [await slow.next(0.1) for _ in range(256)]
    assert [e.seq for e in received if e is not None] == list(range(1, 257))  # what fitted, in order
    with pytest.raises(StopAsyncIteration):
        await slow.next(0.1)
    fanout.dispatch(event(300))
    assert (await fast.next(0.1)).seq == 300  # type: ignore[union-attr]


async def test_removed_watchers_are_forgotten() -> None:
    fanout = LocalFanout()
    watcher = fanout.add(SID)
    assert fanout.watcher_count() == 1
    fanout.remove(watcher)
    assert fanout.watcher_count() == 0
    assert watcher.ended
