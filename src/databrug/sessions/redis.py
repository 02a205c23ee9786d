"""The Redis/Valkey ``SessionStore``: several broker processes share sessions and live events.

One file for one adapter (about 490 lines): the key layout, the Lua scripts and the live-event connection
below are read together.

Keys (``prefix`` default ``databrug:``), each with the session's TTL:

| key                          | type   | holds                                            |
|------------------------------|--------|--------------------------------------------------|
| ``{p}s:{id}``                | hash   | ``v`` (version), ``d`` (record JSON)             |
| ``{p}s:{id}:blobs``          | hash   | blob name → sealed bytes                         |
| ``{p}s:{id}:events``         | list   | the last N events (JSON)                         |
| ``{p}s:{id}:tokens``         | set    | ``kind:hash`` of every indexed token             |
| ``{p}tok:{kind}:{hash}``     | string | session id                                       |
| ``{p}rate:{key}``            | string | hit counter, TTL = window                        |
| ``{p}due``                   | zset   | session id by ``expires_at`` (no TTL; stale ids dropped when met) |
| ``{p}sample:{series}``       | list   | the last N samples (source health), TTL from the last write |

Writes that must be atomic are Lua scripts (compare-and-set on the version, TTL inheritance, delete-all).
The scripts touch keys they derive from the prefix, so this adapter targets a single Redis/Valkey primary
(with replicas or Sentinel), not Redis Cluster.

Live events: ONE pub/sub connection per store instance (per process) pattern-subscribes to ``{p}ev:*`` and
hands each message to the local watchers of that session, so 10,000 watchers cost one subscription. If that
connection drops, or stops answering the ping sent when it has been silent a while, every local watcher is
ended; clients resume from the history (``Last-Event-ID``).

Commands go over ``redis_wire.PipelinedRedis`` (a few pipelining connections, replies parsed by hiredis),
not redis-py's pool: that costs a tenth of the CPU per command, and each logical operation is one round trip
(create: the provider's rate count, record, page-token index entry, first event and its publish in one
script; a change: one read, then one compare-and-set script that also keeps and publishes the change's
events). redis-py serves the event subscription.

Every wait on Redis is bounded (``RedisTimeouts``): a stalled or unreachable Redis fails a request with
``StoreUnavailable`` (503 store_unavailable) within about 2.5 s instead of hanging, and the connections
reconnect by themselves once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from databrug.sessions.errors import RateLimited, SessionExists, SessionNotFound, StoreUnavailable
from databrug.sessions.events import SessionEvent
from databrug.sessions.fanout import LocalFanout, Subscription
from databrug.sessions.model import SessionRecord
from databrug.sessions.redis_wire import Arg, Endpoint, PipelinedRedis, Script
from databrug.sessions.sealing import SealedBytes
from databrug.sessions.store import (
    EventsFor,
    Mutation,
    RateLimit,
    TokenEntry,
    TtlFor,
    check_history,
    expiry_score,
    update_with_retry,
)
from databrug.sessions.tokens import SessionId, TokenHash, TokenKind

log = logging.getLogger(__name__)

# KEYS: record, due, events, token set, rate counter (any key when no rate is counted), then one key per
# token. ARGV: json, ttl ms, expiry score or '', session id, history, channel, rate limit or '', rate window
# seconds, event count n, then n events (JSON), then one token set member per token key. Returns -1 when the
# rate is over its limit (the hit counted, nothing else written), 0 when the id is taken, 1 when stored.
_CREATE = Script("""
if ARGV[7] ~= '' then
  local count = redis.call('INCR', KEYS[5])
  redis.call('EXPIRE', KEYS[5], ARGV[8], 'NX')
  if count > tonumber(ARGV[7]) then return -1 end
end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ttl = ARGV[2]
redis.call('HSET', KEYS[1], 'v', 0, 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4]) end
local n = tonumber(ARGV[9])
for i = 6, #KEYS do
  redis.call('SET', KEYS[i], ARGV[4], 'PX', ttl)
  redis.call('SADD', KEYS[4], ARGV[4 + n + i])
end
if #KEYS > 5 then redis.call('PEXPIRE', KEYS[4], ttl) end
if n > 0 then
  redis.call('RPUSH', KEYS[3], unpack(ARGV, 10, 9 + n))
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[5]), -1)
  redis.call('PEXPIRE', KEYS[3], ttl)
  for i = 10, 9 + n do redis.call('PUBLISH', ARGV[6], ARGV[i]) end
end
return 1
""")

# KEYS: record, blobs, events, token set, due. ARGV: expected version, json, ttl ms or '', token key prefix,
# expiry score or '', session id, history, channel, then the events (JSON) to keep and publish.
_REPLACE = Script("""
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return -1 end
if tonumber(v) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(ARGV[1]) + 1, 'd', ARGV[2])
local events = #ARGV > 8
if events then
  redis.call('RPUSH', KEYS[3], unpack(ARGV, 9))
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[7]), -1)
end
if ARGV[3] ~= '' then
  local ttl = tonumber(ARGV[3])
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ttl) end
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    redis.call('PEXPIRE', ARGV[4] .. member, ttl)
  end
elseif events then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
end
if ARGV[5] == '' then
  redis.call('ZREM', KEYS[5], ARGV[6])
else
  redis.call('ZADD', KEYS[5], ARGV[5], ARGV[6])
end
for i = 9, #ARGV do redis.call('PUBLISH', ARGV[8], ARGV[i]) end
return 1
""")

# KEYS: record, blobs, events, token set, due. ARGV: token key prefix, session id.
_DELETE = Script("""
for _, member in ipairs(redis.call('SMEMBERS', KEYS[4])) do redis.call('DEL', ARGV[1] .. member) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[5], ARGV[2])
return 1
""")

# KEYS: record, token key, token set. ARGV: session id, set member.
_INDEX_ENTRY = Script("""
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ttl)
return 1
""")

# KEYS: token key. ARGV: session key prefix, set member.
_UNINDEX_ENTRY = Script("""
local session_id = redis.call('GET', KEYS[1])
if not session_id then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', ARGV[1] .. session_id .. ':tokens', ARGV[2])
return 1
""")

# KEYS: record, blobs. ARGV: name, data.
_PUT_BLOB = Script("""
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
""")

# KEYS: record, events. ARGV: json, history.
_APPEND_EVENT = Script("""
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
""")

# KEYS: counter. ARGV: window seconds. INCR and the window's TTL in one round trip (EXPIRE NX: Redis 7+).
_INCR_RATE = Script("""
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
return count
""")

# KEYS: series. ARGV: sample, keep, ttl ms. Append, trim and expire in one round trip, reading nothing.
_ADD_SAMPLE = Script("""
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
""")

# KEYS: the series. Every series' samples in one round trip.
_READ_SAMPLES = Script("""
local found = {}
for i = 1, #KEYS do found[i] = redis.call('LRANGE', KEYS[i], 0, -1) end
return found
""")

_RECONNECT_DELAY = 0.5
_LISTEN_POLL = 1.0
"""How long one read of the subscription waits for a message before the loop checks the connection."""
_IDLE_PING = 5.0
"""A subscription silent this long is pinged: a connection that died without a reset (a network partition)
would otherwise end every live event silently."""


@dataclass(frozen=True)
class RedisTimeouts:
    """How long the broker waits on Redis (seconds) before a request answers store_unavailable (503)."""

    connect: float = 1.0
    command: float = 1.5
    """One command's answer (the socket timeout); a blocking subscription read is not bound by it."""
    pool: float = 1.0
    """Waiting for a free connection of redis-py's pools (the event subscription's; commands do not wait
    for a connection: they are pipelined)."""

    def pool_options(self) -> dict[str, float]:
        return {"socket_connect_timeout": self.connect, "socket_timeout": self.command, "timeout": self.pool}

    @property
    def subscribe(self) -> float:
        """Starting the event subscription: connect, then the subscribe confirmation."""
        return self.connect + self.command


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    if isinstance(value, str):
        return value
    raise StoreUnavailable("unexpected reply from the store")


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    raise StoreUnavailable("unexpected reply from the store")


def _list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    raise StoreUnavailable("unexpected reply from the store")


def _endpoint_of(client: aioredis.Redis) -> Endpoint:
    """Where a redis-py client connects, for the pipelined connection beside it."""
    options = client.connection_pool.connection_kwargs
    return Endpoint(
        host=options.get("host", "127.0.0.1"),
        port=int(options.get("port", 6379)),
        path=options.get("path"),
        tls=bool(options.get("ssl", False)) or "ssl_context" in options,
        username=options.get("username"),
        password=options.get("password"),
        db=int(options.get("db", 0)),
    )


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisSessionStore:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "databrug:",
        events: aioredis.Redis | None = None,
        timeouts: RedisTimeouts | None = None,
        wire: PipelinedRedis | None = None,
    ) -> None:
        self._redis = client
        """redis-py's client: closed with the store; the commands go over ``_wire``."""
        self._timeouts = timeouts or RedisTimeouts()
        self._wire = wire or PipelinedRedis(
            _endpoint_of(client),
            connect_timeout=self._timeouts.connect,
            command_timeout=self._timeouts.command,
        )
        self._events = events or client
        """The client for the event subscription; it must not reconnect silently (see ``_listen``)."""
        self._prefix = prefix
        self._fanout = LocalFanout()
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._closed = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "databrug:",
        max_connections: int = 64,
        timeouts: RedisTimeouts | None = None,
    ) -> RedisSessionStore:
        """A store whose commands are pipelined (``redis_wire``); redis-py's blocking pools stay for the event
        subscription and for the raw client (``_redis``, closed with the store)."""
        timeouts = timeouts or RedisTimeouts()
        # One retry on a fresh connection for commands: after a Redis restart every pooled connection is
        # dead, and without it each would fail one request with store_unavailable (a pool built from a URL
        # gets no retries from redis-py). Not on a timeout: a stalled Redis would double the wait. The
        # subscription keeps its own pool without retries: a silent resubscribe would lose the events
        # published meanwhile, so its watchers must end instead.
        retry = Retry(ConstantBackoff(0.05), retries=1, supported_errors=(RedisConnectionError,))
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            decode_responses=False,
            retry=retry,
            **timeouts.pool_options(),
        )
        events = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=2, decode_responses=False, **timeouts.pool_options()
        )
        # each client owns and closes its pool
        return cls(
            aioredis.Redis.from_pool(pool),
            prefix=prefix,
            events=aioredis.Redis.from_pool(events),
            timeouts=timeouts,
        )

    # -- keys

    def _record_key(self, session_id: str) -> str:
        return f"{self._prefix}s:{session_id}"

    def _session_keys(self, session_id: str) -> list[str]:
        base = self._record_key(session_id)
        return [base, f"{base}:blobs", f"{base}:events", f"{base}:tokens", f"{self._prefix}due"]

    def _token_key(self, kind: TokenKind, token_hash: TokenHash) -> str:
        return f"{self._prefix}tok:{kind.value}:{token_hash}"

    def _rate_key(self, key: str) -> str:
        return f"{self._prefix}rate:{key}"

    def _channel(self, session_id: str) -> str:
        return f"{self._prefix}ev:{session_id}"

    async def _call(self, script: Script, keys: list[str], args: list[Any]) -> int:
        try:
            return int(await self._wire.run(script, keys, args))
        except RedisError as error:
            raise StoreUnavailable() from error

    async def _command(self, *args: Arg) -> Any:
        try:
            return await self._wire.execute(*args)
        except RedisError as error:
            raise StoreUnavailable() from error

    # -- records

    async def create(
        self,
        record: SessionRecord,
        ttl_seconds: float,
        *,
        tokens: Sequence[TokenEntry] = (),
        events: Sequence[SessionEvent] = (),
        history: int = 0,
        rate: RateLimit | None = None,
    ) -> None:
        check_history(events, history)
        stored = record.model_copy(update={"version": 0})
        score = expiry_score(stored)
        base = self._record_key(record.session_id)
        counter = base if rate is None else self._rate_key(rate.key)
        keys = [base, f"{self._prefix}due", f"{base}:events", f"{base}:tokens", counter]
        keys += [self._token_key(kind, token_hash) for kind, token_hash in tokens]
        args: list[Any] = [
            stored.model_dump_json(),
            _ms(ttl_seconds),
            "" if score is None else score,
            record.session_id,
            history,
            self._channel(record.session_id),
            "" if rate is None else rate.limit,
            0 if rate is None else rate.window_seconds,
            len(events),
            *(event.to_json() for event in events),
            *(f"{kind.value}:{token_hash}" for kind, token_hash in tokens),
        ]
        outcome = await self._call(_CREATE, keys, args)
        if outcome < 0 and rate is not None:
            raise RateLimited(rate.window_seconds)
        if not outcome:
            raise SessionExists()

    async def get(self, session_id: str) -> SessionRecord | None:
        data = await self._command("HGET", self._record_key(session_id), "d")
        return None if data is None else SessionRecord.model_validate_json(_bytes(data))

    async def replace(
        self,
        record: SessionRecord,
        *,
        expected_version: int,
        ttl_seconds: float | None = None,
        events: Sequence[SessionEvent] = (),
        history: int = 0,
    ) -> SessionRecord | None:
        check_history(events, history)
        stored = record.model_copy(update={"version": expected_version + 1})
        score = expiry_score(stored)
        args: list[Any] = [
            expected_version,
            stored.model_dump_json(),
            "" if ttl_seconds is None else _ms(ttl_seconds),
            f"{self._prefix}tok:",
            "" if score is None else score,
            record.session_id,
            history,
            self._channel(record.session_id),
            *(event.to_json() for event in events),
        ]
        outcome = await self._call(_REPLACE, self._session_keys(record.session_id), args)
        if outcome < 0:
            raise SessionNotFound()
        return stored if outcome else None

    async def update(
        self,
        session_id: str,
        fn: Mutation,
        *,
        ttl_for: TtlFor | None = None,
        events_for: EventsFor | None = None,
        history: int = 0,
    ) -> SessionRecord:
        return await update_with_retry(self, session_id, fn, ttl_for, events_for, history)

    async def delete(self, session_id: str) -> None:
        await self._call(_DELETE, self._session_keys(session_id), [f"{self._prefix}tok:", session_id])

    # -- tokens

    async def index_token(self, kind: TokenKind, token_hash: TokenHash, session_id: str) -> None:
        keys = [
            self._record_key(session_id),
            self._token_key(kind, token_hash),
            f"{self._record_key(session_id)}:tokens",
        ]
        if not await self._call(_INDEX_ENTRY, keys, [session_id, f"{kind.value}:{token_hash}"]):
            raise SessionNotFound()

    async def unindex_token(self, kind: TokenKind, token_hash: TokenHash) -> None:
        args = [f"{self._prefix}s:", f"{kind.value}:{token_hash}"]
        await self._call(_UNINDEX_ENTRY, [self._token_key(kind, token_hash)], args)

    async def find_by_token(self, kind: TokenKind, token_hash: TokenHash) -> SessionId | None:
        value = await self._command("GET", self._token_key(kind, token_hash))
        return None if value is None else SessionId(_text(value))

    # -- sealed blobs

    async def put_blob(self, session_id: str, name: str, data: SealedBytes) -> None:
        keys = [self._record_key(session_id), f"{self._record_key(session_id)}:blobs"]
        if not await self._call(_PUT_BLOB, keys, [name, bytes(data)]):
            raise SessionNotFound()

    async def get_blob(self, session_id: str, name: str) -> SealedBytes | None:
        value = await self._command("HGET", f"{self._record_key(session_id)}:blobs", name)
        return None if value is None else SealedBytes(_bytes(value))

    async def delete_blob(self, session_id: str, name: str) -> None:
        await self._command("HDEL", f"{self._record_key(session_id)}:blobs", name)

    async def blob_names(self, session_id: str) -> list[str]:
        names = await self._command("HKEYS", f"{self._record_key(session_id)}:blobs")
        return sorted(_text(name) for name in _list(names))

    # -- events

    async def append_event(self, event: SessionEvent, *, history: int) -> None:
        keys = [self._record_key(event.session_id), f"{self._record_key(event.session_id)}:events"]
        await self._call(_APPEND_EVENT, keys, [event.to_json(), history])

    async def events_after(self, session_id: str, seq: int) -> list[SessionEvent]:
        raw = await self._command("LRANGE", f"{self._record_key(session_id)}:events", 0, -1)
        events = (SessionEvent.from_json(_bytes(item)) for item in _list(raw))
        return [event for event in events if event.seq > seq]

    async def publish(self, event: SessionEvent) -> None:
        await self._command("PUBLISH", self._channel(event.session_id), event.to_json())

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        return self._subscription(session_id)

    @asynccontextmanager
    async def _subscription(self, session_id: str) -> AsyncIterator[Subscription]:
        await self._ensure_listening()
        subscription = self._fanout.add(session_id)
        try:
            yield subscription
        finally:
            self._fanout.remove(subscription)

    async def _ensure_listening(self) -> None:
        if self._closed:
            raise StoreUnavailable("the store is closed")
        if self._listener is None or self._listener.done():
            self._listening.clear()
            self._listener = asyncio.create_task(self._listen(), name="databrug-session-events")
        try:
            await asyncio.wait_for(self._listening.wait(), timeout=self._timeouts.subscribe)
        except TimeoutError:
            raise StoreUnavailable("the event subscription did not start") from None

    async def _listen(self) -> None:
        pattern = f"{self._prefix}ev:*"
        skip = len(self._prefix) + len("ev:")
        while not self._closed:
            pubsub = self._events.pubsub()
            try:
                await pubsub.psubscribe(pattern)
                await self._read_events(pubsub, skip)
            except (RedisError, OSError):
                # Only a working subscription's loss: retries every half second while Redis stays down would
                # flood the log (the requests meanwhile answer store_unavailable).
                if self._listening.is_set():
                    log.warning("session event subscription lost; ending local watchers and reconnecting")
            except Exception:
                log.exception("session event listener failed; ending local watchers and restarting")
            finally:
                self._listening.clear()
                self._fanout.end_all()
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(_RECONNECT_DELAY)

    async def _read_events(self, pubsub: PubSub, skip: int) -> None:
        """Messages until the connection fails; a ping unanswered within the command timeout is a failure too
        (a blocking read would wait forever on a connection that died silently)."""
        loop = asyncio.get_running_loop()
        heard = loop.time()
        pinged: float | None = None
        while True:
            message = await pubsub.get_message(timeout=_LISTEN_POLL)
            now = loop.time()
            if message is not None:
                heard, pinged = now, None
                kind = message.get("type")
                if kind == b"psubscribe" or kind == "psubscribe":
                    self._listening.set()
                elif kind in (b"pmessage", "pmessage"):
                    self._dispatch(message["channel"], message["data"], skip)
            elif pinged is not None and now - pinged > self._timeouts.command:
                raise RedisTimeoutError("the event subscription does not answer")
            elif pinged is None and now - heard > _IDLE_PING:
                await pubsub.ping()
                pinged = now

    def _dispatch(self, channel: bytes, data: bytes, skip: int) -> None:
        try:
            event = SessionEvent.from_json(data)
        except ValueError:
            log.warning("ignored a malformed session event")
            return
        if channel.decode("ascii", "replace")[skip:] == event.session_id:
            self._fanout.dispatch(event)

    # -- misc

    async def incr_rate(self, key: str, window_seconds: int) -> int:
        return await self._call(_INCR_RATE, [self._rate_key(key)], [window_seconds])

    async def due(self, until: datetime, limit: int = 100) -> list[SessionId]:
        ids = await self._command(
            "ZRANGEBYSCORE", f"{self._prefix}due", "-inf", until.timestamp(), "LIMIT", 0, limit
        )
        return [SessionId(_text(value)) for value in _list(ids)]

    def _series_key(self, series: str) -> str:
        return f"{self._prefix}sample:{series}"

    async def add_sample(self, series: str, sample: str, *, keep: int, ttl_seconds: float) -> None:
        await self._call(_ADD_SAMPLE, [self._series_key(series)], [sample, max(1, keep), _ms(ttl_seconds)])

    async def samples(self, series: Sequence[str]) -> dict[str, list[str]]:
        names = list(series)
        if not names:
            return {}
        try:
            found = await self._wire.run(_READ_SAMPLES, [self._series_key(name) for name in names], [])
        except RedisError as error:
            raise StoreUnavailable() from error
        kept = _list(found)
        if len(kept) != len(names):
            raise StoreUnavailable("unexpected reply from the store")
        return {name: [_text(item) for item in _list(items)] for name, items in zip(names, kept, strict=True)}

    async def ping(self) -> bool:
        try:
            return bool(await self._wire.execute("PING") == b"PONG")
        except RedisError:
            return False

    async def close(self) -> None:
        self._closed = True
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        self._fanout.end_all()
        await self._wire.close()
        await self._redis.aclose()
        if self._events is not self._redis:
            await self._events.aclose()

    def watcher_count(self) -> int:
        return self._fanout.watcher_count()
