"""The pipelined Redis connection against stand-in servers on loopback: replies in order, the commands of
one event-loop iteration in one connection's write, a silent server answers ``TimeoutError`` within the
command timeout (one watchdog per connection) and its connection is dropped, a server that hangs up answers
``ConnectionError``, URLs are read strictly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from databrug.sessions.redis_wire import Endpoint, PipelinedRedis, Script

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], "asyncio.Future[None] | object"]


@asynccontextmanager
async def stand_in(handler: Handler) -> AsyncIterator[tuple[int, list[int]]]:
    """A loopback server; yields its port and a list with one entry per accepted connection."""
    accepted: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        try:
            await handler(reader, writer)  # type: ignore[misc]
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, accepted
    finally:
        server.close()


async def echo_lengths(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every command with an integer: its number of arguments (``EVALSHA`` with NOSCRIPT)."""
    while True:
        header = await reader.readline()
        if not header:
            return
        count = int(header[1:])
        words = []
        for _ in range(count):
            await reader.readline()
            words.append((await reader.readline()).strip())
        if words[0] == b"EVALSHA":
            writer.write(b"-NOSCRIPT No matching script.\r\n")
        elif words[0] == b"FAIL":
            writer.write(b"-ERR wrong\r\n")
        else:
            writer.write(b":%d\r\n" % count)
        await writer.drain()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(1 << 16)
    await asyncio.sleep(30)


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read(1 << 16)


def client(port: int, command_timeout: float = 1.0, connections: int = 2) -> PipelinedRedis:
    return PipelinedRedis(
        Endpoint(port=port), connect_timeout=1.0, command_timeout=command_timeout, connections=connections
    )


async def test_concurrent_commands_get_their_own_replies_in_order() -> None:
    async with stand_in(echo_lengths) as (port, _):
        wire = client(port)
        replies = await asyncio.gather(*(wire.execute("X", *["a"] * n) for n in range(50)))
        assert replies == [n + 1 for n in range(50)]
        with pytest.raises(ResponseError, match="wrong"):
            await wire.execute("FAIL")
        assert await wire.execute("X") == 1  # an error reply leaves the connection in step
        await wire.close()


async def test_the_commands_of_one_loop_iteration_go_out_together_on_one_connection() -> None:
    reads: list[tuple[int, int]] = []  # (connection, commands in one read)
    opened: list[int] = []

    async def counting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        me = len(opened)
        opened.append(me)
        while chunk := await reader.read(1 << 20):
            commands = chunk.count(b"*")
            reads.append((me, commands))
            writer.write(b":1\r\n" * commands)
            await writer.drain()

    async with stand_in(counting) as (port, accepted):
        wire = client(port, connections=4)
        connections = set()
        for _ in range(8):  # one command per iteration: round robin over the connections
            reads.clear()
            assert await wire.execute("GET", "k") == 1
            connections.add(reads[0][0])
        for _ in range(3):
            reads.clear()
            assert await asyncio.gather(*(wire.execute("GET", "k") for _ in range(40))) == [1] * 40
            assert [commands for _, commands in reads] == [40]  # one write, so one read on the server
        await wire.close()
    assert len(connections) == len(accepted) == 4


async def test_a_late_reply_fails_every_waiting_command_of_its_connection_in_time() -> None:
    async def first_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)
        writer.write(b":1\r\n")
        await writer.drain()
        await asyncio.sleep(30)

    async with stand_in(first_only) as (port, accepted):
        wire = client(port, command_timeout=0.3, connections=1)
        assert await wire.execute("GET", "k") == 1
        started = time.monotonic()
        outcomes = await asyncio.gather(*(wire.execute("GET", "k") for _ in range(5)), return_exceptions=True)
        took = time.monotonic() - started
        assert all(isinstance(outcome, RedisTimeoutError) for outcome in outcomes)
        assert 0.25 <= took < 0.8
        await wire.close()
    assert len(accepted) == 1  # nothing was retried after a timeout


async def test_a_script_unknown_to_the_server_is_sent_with_its_body() -> None:
    async with stand_in(echo_lengths) as (port, _):
        wire = client(port)
        assert await wire.run(Script("return 1"), ["k"], ["v"]) == 5  # EVAL, body, 1, k, v
        await wire.close()
    assert issubclass(NoScriptError, ResponseError)


async def test_a_silent_server_times_out_and_its_connection_is_not_reused() -> None:
    async with stand_in(silent) as (port, accepted):
        wire = client(port, command_timeout=0.3, connections=1)
        started = time.monotonic()
        with pytest.raises(RedisTimeoutError):
            await wire.execute("GET", "k")
        assert time.monotonic() - started < 1.0
        with pytest.raises(RedisTimeoutError):
            await wire.execute("GET", "k")
        await wire.close()
    assert len(accepted) == 2  # the timed-out connection was dropped, a new one made for the next command


async def test_a_server_that_hangs_up_answers_connection_error_after_one_retry() -> None:
    async with stand_in(hang_up) as (port, accepted):
        wire = client(port)
        with pytest.raises(RedisConnectionError):
            await wire.execute("GET", "k")
        assert len(accepted) == 2  # tried once more, on a fresh connection
        await wire.close()


async def test_nothing_listening_is_a_connection_error() -> None:
    async with stand_in(hang_up) as (port, _):
        pass  # closed: the port is free now
    wire = client(port)
    with pytest.raises(RedisConnectionError):
        await wire.execute("PING")
    await wire.close()
    with pytest.raises(RedisConnectionError):
        await wire.execute("PING")  # closed for good


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("redis://127.0.0.1:6390/2", Endpoint(port=6390, db=2)),
        ("redis://:s%40cret@cache", Endpoint(host="cache", password="s@cret")),
        (
            "rediss://user:pw@cache:7000",
            Endpoint(host="cache", port=7000, tls=True, username="user", password="pw"),
        ),
        ("unix:///run/redis.sock?db=3", Endpoint(path="/run/redis.sock", db=3)),
    ],
)
def test_urls(url: str, expected: Endpoint) -> None:
    assert Endpoint.from_url(url) == expected


@pytest.mark.parametrize("url", ["http://cache:6379", "redis://cache/not-a-db", "redis://cache:99999", ""])
def test_hostile_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the parser's own ValueErrors, several messages
        Endpoint.from_url(url)
