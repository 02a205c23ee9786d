"""A pipelining Redis connection for the session store's commands (``redis.RedisSessionStore``).

Why not redis-py's asyncio client for them: it costs 50–65 µs of CPU per command (a pool condition and
timeout, a retry wrapper, one socket write per command, reply parsing in Python), and a status read is one
HGET. Here every command issued within one event-loop iteration goes out in one write, and the replies of all
of them are parsed by hiredis from one read: about 3 µs per command (docs/performance.md, "The Redis path").

Replies come back in the order the commands were sent (RESP2), so each connection keeps a queue of the
callers' futures. The commands of one event-loop iteration share a connection (one write, one read); the
next iteration's go to the next connection, round robin, so one large blob does not hold every other
command behind it. Failures keep redis-py's meaning, so the store handles both alike: a connection that
cannot be made or drops raises ``ConnectionError`` (retried once, on a fresh connection: after a Redis
restart every connection is dead); an answer slower than the command timeout raises ``TimeoutError`` and
drops the connection (a stalled or silently dead socket is not trusted again); an error reply raises
``ResponseError`` (``NoScriptError`` for NOSCRIPT, which ``Script`` answers with EVAL).

The timeout is one watchdog per connection, not a timer per command: replies come in order, so only the
oldest unanswered command can be the first one late, and the watchdog wakes at its deadline (a timer armed
and cancelled per command cost more than the rest of a command's send).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | bytes | int | float


@dataclass(frozen=True)
class Endpoint:
    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None
    """A Unix socket instead of host and port."""
    tls: bool = False
    username: str | None = None
    password: str | None = None
    db: int = 0

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        """``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` (TLS) or ``unix:///path[?db=N]``."""
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("a Redis URL starts with redis://, rediss:// or unix://")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if parts.scheme == "unix":
            query = dict(item.partition("=")[::2] for item in parts.query.split("&") if item)
            return cls(path=parts.path, username=username, password=password, db=int(query.get("db", 0)))
        db = parts.path.strip("/")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            tls=parts.scheme == "rediss",
            username=username,
            password=password,
            db=int(db) if db else 0,
        )


def _pack(command: tuple[Arg, ...]) -> bytes:
    # hiredis's stub types the argument as a 1-tuple; it takes any number of arguments.
    packed: bytes = hiredis.pack_command(command)  # type: ignore[arg-type]
    return packed


class Script:
    """A Lua script sent by its SHA1 (EVALSHA); its body only when the server does not know it yet."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.sha = hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest()


class _Connection(asyncio.Protocol):
    def __init__(self, command_timeout: float) -> None:
        self._timeout = command_timeout
        self._reader = hiredis.Reader()
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._deadlines: deque[float] = deque()
        """When the reply of each waiting command is late (loop time), in the same order."""
        self._watchdog: asyncio.TimerHandle | None = None
        self._outgoing: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self.lost = False

    @property
    def filling(self) -> bool:
        """Commands of this event-loop iteration are waiting to go out in one write."""
        return bool(self._outgoing)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are no subclasses

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while self._waiting:
            try:
                reply = self._reader.gets()
            except hiredis.ProtocolError:
                self.abort()
                return
            if reply is False:  # hiredis: not a whole reply yet
                return
            waiter = self._waiting.popleft()
            self._deadlines.popleft()
            if not waiter.done():  # its caller gave up (cancelled)
                waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._fail_waiting(lambda: RedisConnectionError("the connection to Redis was lost"))

    def _fail_waiting(self, error: Callable[[], Exception]) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            self._deadlines.popleft()
            if not waiter.done():
                waiter.set_exception(error())

    def send(self, packed: bytes) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        if self.lost or self._transport is None:
            raise RedisConnectionError("the connection to Redis was lost")
        waiter: asyncio.Future[Any] = loop.create_future()
        if not self._outgoing:
            loop.call_soon(self._flush)
        self._outgoing.append(packed)
        self._waiting.append(waiter)
        deadline = loop.time() + self._timeout
        self._deadlines.append(deadline)
        if self._watchdog is None:
            self._watchdog = loop.call_at(deadline, self._watch)
        return waiter

    def _watch(self) -> None:
        """At the oldest waiting command's deadline: if it is still unanswered, Redis is stalled (or the
        socket silently dead): every waiting command fails with ``TimeoutError`` and the connection is
        dropped."""
        self._watchdog = None
        if not self._waiting:
            return
        loop = asyncio.get_running_loop()
        oldest = self._deadlines[0]
        if loop.time() < oldest:  # answered meanwhile: watch the command that is oldest now
            self._watchdog = loop.call_at(oldest, self._watch)
            return
        self._fail_waiting(lambda: RedisTimeoutError("Redis did not answer in time"))
        self.abort()

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if self._transport is not None and not self.lost:
            self._transport.write(b"".join(outgoing))

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()  # connection_lost fails whatever still waits
        self.lost = True


class PipelinedRedis:
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        connect_timeout: float,
        command_timeout: float,
        connections: int = 4,
    ) -> None:
        self._endpoint = endpoint
        self._connect_timeout = connect_timeout
        self._command_timeout = command_timeout
        self._slots: list[_Connection | None] = [None] * connections
        self._connecting: list[asyncio.Task[_Connection] | None] = [None] * connections
        self._next = 0
        self._filling: _Connection | None = None
        """The connection this event-loop iteration's commands go out on."""
        self._closed = False

    async def execute(self, *args: Arg) -> Any:
        """One command's reply; raises redis-py's ConnectionError, TimeoutError or ResponseError."""
        packed = _pack(args)
        try:
            return await self._send(packed)
        except RedisConnectionError:
            if self._closed:
                raise
            return await self._send(packed)

    async def run(self, script: Script, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await self.execute("EVAL", script.body, len(keys), *keys, *args)

    async def _send(self, packed: bytes) -> Any:
        connection = self._filling
        if connection is None or connection.lost or not connection.filling:
            connection = self._filling = await self._connection()
        reply = await connection.send(packed)  # its watchdog bounds the wait (``_Connection._watch``)
        if isinstance(reply, hiredis.ReplyError):
            text = str(reply)
            if text.startswith("NOSCRIPT"):
                raise NoScriptError(text)
            raise ResponseError(text)
        return reply

    async def _connection(self) -> _Connection:
        if self._closed:
            raise RedisConnectionError("the store is closed")
        slot = self._next
        self._next = (slot + 1) % len(self._slots)
        connection = self._slots[slot]
        if connection is not None and not connection.lost:
            return connection
        task = self._connecting[slot]
        if task is None or task.done():
            task = asyncio.ensure_future(self._connect())
            self._connecting[slot] = task
        # A caller that gives up must not cancel the connect the others wait for.
        connection = await asyncio.shield(task)
        self._slots[slot] = connection
        return connection

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        endpoint = self._endpoint

        def protocol() -> _Connection:
            return _Connection(self._command_timeout)

        try:
            async with asyncio.timeout(self._connect_timeout):
                if endpoint.path is not None:
                    _, connection = await loop.create_unix_connection(protocol, endpoint.path)
                else:
                    context = ssl.create_default_context() if endpoint.tls else None
                    _, connection = await loop.create_connection(
                        protocol, endpoint.host, endpoint.port, ssl=context
                    )
                await self._hello(connection)
        except (OSError, TimeoutError) as error:
            raise RedisConnectionError("cannot connect to Redis") from error
        return connection

    async def _hello(self, connection: _Connection) -> None:
        endpoint = self._endpoint
        setup: list[tuple[Arg, ...]] = []
        if endpoint.password is not None:
            if endpoint.username:
                setup.append(("AUTH", endpoint.username, endpoint.password))
            else:
                setup.append(("AUTH", endpoint.password))
        if endpoint.db:
            setup.append(("SELECT", endpoint.db))
        for command in setup:
            reply = await connection.send(_pack(command))
            if isinstance(reply, hiredis.ReplyError):
                connection.abort()
                raise RedisConnectionError(f"Redis refused the connection setup ({command[0]!s})")

    async def close(self) -> None:
        self._closed = True
        for task in self._connecting:
            if task is not None and not task.done():
                task.cancel()
        for connection in self._slots:
            if connection is not None:
                connection.abort()
        self._slots = [None] * len(self._slots)
        self._filling = None
