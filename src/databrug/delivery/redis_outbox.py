"""The webhook outbox in Redis: shared by every broker process, surviving a process that dies mid-retry.

Keys (``<prefix>outbox:``): ``d:<id>`` the pending delivery (JSON), ``due`` a sorted set of ids scored by the
time they may next be tried (a claim moves the score to the lease's end, so a dead process's claim simply
falls due again), ``done:<id>`` the outcome, kept a week so a repeated ``add`` stays refused,
``s:<order key>`` a sorted set of one session's pending ids by their ``order``: only its first is in
``due`` (or claimable), and finishing it puts the next one in, so a session's events go out in order
whatever the leases and retries do.
Bodies are event envelopes only (ids, states, counts): no personal data is stored here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from databrug.delivery.outbox import FinishedDelivery, Outcome, PendingDelivery
from databrug.errors import StoreUnavailable

DONE_TTL_SECONDS = 7 * 24 * 3600

_HEAD = """
local function head(order, bodies)
  while true do
    local first = redis.call('ZRANGE', order, 0, 0)[1]
    if not first or redis.call('EXISTS', bodies .. first) == 1 then return first end
    redis.call('ZREM', order, first)  -- its delivery expired: it holds no one up
  end
end
"""

# KEYS: d:<id>, due, done:<id>[, s:<order key>]. ARGV: json, next attempt score, id, ttl s, order, d: prefix
_ADD = (
    _HEAD
    + """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
if KEYS[4] then
  redis.call('ZADD', KEYS[4], ARGV[5], ARGV[3])
  if redis.call('TTL', KEYS[4]) < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[4], ARGV[4]) end
  if head(KEYS[4], ARGV[6]) ~= ARGV[3] then return 1 end  -- due once the ones before it are done
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""
)

# KEYS: due. ARGV: now, lease end, limit, d: prefix, s: prefix
_CLAIM = (
    _HEAD
    + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local body = redis.call('GET', ARGV[4] .. id)
  if not body then
    redis.call('ZREM', KEYS[1], id)
  else
    local key = cjson.decode(body)['order_key']
    if type(key) == 'string' and head(ARGV[5] .. key, ARGV[4]) ~= id then
      redis.call('ZREM', KEYS[1], id)  -- an earlier one of its session came late; this one waits for it
    else
      redis.call('ZADD', KEYS[1], ARGV[2], id)
      table.insert(out, body)
    end
  end
end
return out
"""
)

# KEYS: d:<id>, due, done:<id>. ARGV: id, outcome record, done ttl s, now, d: prefix, s: prefix
_FINISH = (
    _HEAD
    + """
local body = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
if body then
  local key = cjson.decode(body)['order_key']
  if type(key) == 'string' then
    local order = ARGV[6] .. key
    redis.call('ZREM', order, ARGV[1])
    local following = head(order, ARGV[5])
    if following then redis.call('ZADD', KEYS[2], 'NX', ARGV[4], following) end
  end
end
return 1
"""
)


def _encode(delivery: PendingDelivery) -> str:
    data: dict[str, Any] = asdict(delivery)
    data["body"] = base64.b64encode(delivery.body).decode("ascii")
    for name in ("deadline", "next_attempt_at", "leased_until"):
        value = data[name]
        data[name] = value.isoformat() if value is not None else None
    return json.dumps(data, separators=(",", ":"))


def _decode(text: str | bytes) -> PendingDelivery:
    data = json.loads(text)
    data["body"] = base64.b64decode(data["body"])
    for name in ("deadline", "next_attempt_at", "leased_until"):
        if data[name] is not None:
            data[name] = datetime.fromisoformat(data[name])
    return PendingDelivery(**data)


class RedisOutbox:
    def __init__(self, client: aioredis.Redis, prefix: str = "databrug:") -> None:
        self._redis = client
        self._base = f"{prefix}outbox:"
        self._due = self._base + "due"
        self._add = client.register_script(_ADD)
        self._claim = client.register_script(_CLAIM)
        self._finish = client.register_script(_FINISH)

    def _key(self, event_id: str) -> str:
        return f"{self._base}d:{event_id}"

    def _done(self, event_id: str) -> str:
        return f"{self._base}done:{event_id}"

    def _order(self, order_key: str) -> str:
        return f"{self._base}s:{order_key}"

    async def add(self, delivery: PendingDelivery) -> bool:
        ttl = max(60, int((delivery.deadline - delivery.next_attempt_at).total_seconds()) + 86400)
        keys = [self._key(delivery.event_id), self._due, self._done(delivery.event_id)]
        if delivery.order_key is not None:
            keys.append(self._order(delivery.order_key))
        args: list[str | float] = [
            _encode(delivery),
            delivery.next_attempt_at.timestamp(),
            delivery.event_id,
            ttl,
            delivery.order,
            self._base + "d:",
        ]
        try:
            added = await self._add(keys=keys, args=args)
        except RedisError as error:  # queued while answering a request: that request answers 503, not 500
            raise StoreUnavailable("the webhook outbox cannot be reached") from error
        return bool(added)

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[PendingDelivery]:
        leased_until = now + lease
        raw = await self._claim(
            keys=[self._due],
            args=[now.timestamp(), leased_until.timestamp(), limit, self._base + "d:", self._base + "s:"],
        )
        return [replace(_decode(item), leased_until=leased_until) for item in raw]

    async def reschedule(
        self, event_id: str, *, attempts: int, next_attempt_at: datetime, last_status: int | None
    ) -> None:
        raw = await self._redis.get(self._key(event_id))
        if raw is None:
            return
        updated = replace(
            _decode(raw),
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_status=last_status,
            leased_until=None,
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key(event_id), _encode(updated), keepttl=True)
            pipe.zadd(self._due, {event_id: next_attempt_at.timestamp()})
            await pipe.execute()

    async def finish(self, event_id: str, outcome: Outcome, attempts: int, at: datetime) -> None:
        record = json.dumps({"outcome": outcome, "attempts": attempts, "finished_at": at.isoformat()})
        await self._finish(
            keys=[self._key(event_id), self._due, self._done(event_id)],
            args=[event_id, record, DONE_TTL_SECONDS, at.timestamp(), self._base + "d:", self._base + "s:"],
        )

    async def get(self, event_id: str) -> PendingDelivery | FinishedDelivery | None:
        raw = await self._redis.get(self._key(event_id))
        if raw is not None:
            return _decode(raw)
        done = await self._redis.get(self._done(event_id))
        if done is None:
            return None
        data = json.loads(done)
        return FinishedDelivery(
            event_id, data["outcome"], data["attempts"], datetime.fromisoformat(data["finished_at"])
        )

    async def pending_count(self) -> int:
        return int(await self._redis.zcard(self._due))
