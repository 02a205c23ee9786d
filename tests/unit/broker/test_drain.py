"""``Broker.drain``: every open watch ends (its stream tells the client to reconnect, after the events it had
already), a watch opened later ends at once, and readiness answers 503 from then on. The bound on requests in
flight (``DATABRUG_DRAIN_SECONDS``) is checked and reaches uvicorn."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from tests.unit.broker.fakes import World

from databrug.cli import edge_limits
from databrug.config import Settings
from databrug.web.app import create_app
from databrug.web.server import EdgeLimits, server_config
from databrug.web.sse import RECONNECT, RECONNECT_EVENT, event_stream


async def _session(world: World) -> str:
    record, _ = await world.broker.sessions.create_session("provider", "CASE-1", ["uwv"])
    return record.session_id


async def test_drain_ends_an_open_stream_with_a_reconnect(world: World) -> None:
    session_id = await _session(world)
    stream = event_stream(world.broker, session_id, 0, keepalive=30, announce_reconnect=True)
    assert await anext(stream) == "retry: 2000\n\n"
    history = await asyncio.wait_for(anext(stream), 1)
    assert history.startswith("id: 1\n")
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # live: nothing to send until the next event or keep-alive (30 s)

    world.broker.drain()
    assert await asyncio.wait_for(waiting, 1) == RECONNECT + RECONNECT_EVENT
    assert RECONNECT == "retry: 500\n\n"
    assert [chunk async for chunk in stream] == []  # and the stream has ended


async def test_the_provider_stream_ends_with_retry_only(world: World) -> None:
    session_id = await _session(world)
    stream = event_stream(world.broker, session_id, 1, keepalive=30)
    assert await anext(stream) == "retry: 2000\n\n"
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.05)
    world.broker.drain()
    assert await asyncio.wait_for(waiting, 1) == RECONNECT
    assert [chunk async for chunk in stream] == []


async def test_a_stream_opened_while_draining_sends_its_history_then_ends(world: World) -> None:
    session_id = await _session(world)
    world.broker.drain()
    chunks = [chunk async for chunk in event_stream(world.broker, session_id, 0, keepalive=30)]
    assert chunks[0] == "retry: 2000\n\n"
    assert chunks[1].startswith("id: 1\n")  # what the watcher missed, then go elsewhere for the rest
    assert chunks[-1] == RECONNECT
    assert world.broker._watches == set()  # every watch let go


async def test_readiness_answers_503_once_draining(world: World) -> None:
    app = create_app(world.broker, background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://broker") as http:
        assert (await http.get("/ready")).status_code == 200
        world.broker.drain()
        answer = await http.get("/ready")
        assert answer.status_code == 503
        assert answer.json() == {"status": "draining"}
        assert answer.headers["cache-control"] == "no-store"
        assert (await http.get("/health")).status_code == 200  # liveness: it still serves


@pytest.mark.parametrize("value", ["0", "-1", "301", "1e9", "ten", "2.5"])
def test_the_drain_bound_is_a_bounded_whole_number_of_seconds(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABRUG_DRAIN_SECONDS", value)
    with pytest.raises(ValidationError):
        Settings()


def test_the_drain_bound_reaches_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRUG_DRAIN_SECONDS", "4")
    limits = edge_limits(Settings())
    assert limits.drain_seconds == 4
    assert server_config(Starlette(), "127.0.0.1", 0, limits=limits).timeout_graceful_shutdown == 4
    assert Settings.model_fields["drain_seconds"].default == EdgeLimits().drain_seconds == 10
