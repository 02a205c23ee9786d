"""Finding personal values where they must never be: store dumps, logs, error pages, files.

The values come from the personas' own facts (synthetic data): BSNs, names, IBANs, streets, postcodes and
amounts with cents. Short strings are left out (a 3-letter surname could occur by chance in ciphertext).
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from typing import Any, Protocol

from databrug_sandbox.personas.model import Household

MIN_LENGTH = 6


def personal_values(households: Iterable[Household]) -> set[str]:
    values: set[str] = set()
    for household in households:
        for citizen in household.citizens():
            facts = citizen.facts
            person = facts.person
            if person is not None:
                values.add(person.bsn)
                names = person.name
                values.update(p for p in (names.given_names, names.surname) if p)
                values.add(names.display)
                for address in person.addresses:
                    values.update(p for p in (address.street, address.postcode) if p)
            for balance in facts.assets.bank_balances:
                values.add(balance.iban)
                values.add(_amount(balance.balance))
            for relation in facts.incomes.relations:
                values.update(_amount(p.sv_wage) for p in relation.periods[-3:])
            for year in facts.incomes.tax_years:
                values.add(_amount(year.verzamelinkomen))
    return {v for v in values if len(v) >= MIN_LENGTH and v.strip("0.") != ""}


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def find(values: Iterable[str], haystack: bytes | str) -> list[str]:
    data = haystack.encode("utf-8", "replace") if isinstance(haystack, str) else haystack
    return sorted(v for v in values if v.encode("utf-8") in data)


def dump_memory_store(store: Any) -> bytes:
    """Everything a memory store holds (records, blobs, events, token index, rate counters)."""
    store = getattr(store, "inner", store)  # under the metrics wrapper (sessions/metered.py)
    return pickle.dumps((store._sessions, store._tokens, store._rates))


class _RawRedis(Protocol):
    """The commands dump_redis uses, as a client without decode_responses answers them: in bytes."""

    def scan_iter(self, match: str) -> AsyncIterator[bytes]: ...
    async def type(self, name: bytes) -> bytes: ...
    async def get(self, name: bytes) -> bytes | None: ...
    async def hgetall(self, name: bytes) -> dict[bytes, bytes]: ...
    async def lrange(self, name: bytes, start: int, end: int) -> list[bytes]: ...
    async def smembers(self, name: bytes) -> set[bytes]: ...
    async def zrange(self, name: bytes, start: int, end: int) -> list[bytes]: ...
    async def xrange(self, name: bytes) -> list[tuple[bytes, dict[bytes, bytes]]]: ...
    async def aclose(self) -> None: ...


async def dump_redis(url: str, prefix: str) -> bytes:
    from redis import asyncio as aioredis

    # Read values by type (DUMP would LZF-compress long strings and hide a plaintext leak).
    # redis types every reply as bytes | str (and some as optional) whatever decode_responses is
    client: _RawRedis = aioredis.Redis.from_url(url)  # type: ignore[assignment]
    chunks: list[bytes] = []
    try:
        async for key in client.scan_iter(match=f"{prefix}*"):
            chunks.append(key)
            kind = (await client.type(key)).decode()
            if kind == "string":
                chunks.append(await client.get(key) or b"")
            elif kind == "hash":
                for field, value in (await client.hgetall(key)).items():
                    chunks.extend((field, value))
            elif kind == "list":
                chunks.extend(await client.lrange(key, 0, -1))
            elif kind == "set":
                chunks.extend(await client.smembers(key))
            elif kind == "zset":
                chunks.extend(await client.zrange(key, 0, -1))
            elif kind == "stream":
                for _, fields in await client.xrange(key):
                    for field, value in fields.items():
                        chunks.extend((field, value))
    finally:
        await client.aclose()
    return b"\n".join(chunks)


class CapturedLogs(logging.Handler):
    """Every log record of every logger, at every level, formatted with its arguments."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {record.levelname} {text}")

    def __enter__(self) -> CapturedLogs:
        root = logging.getLogger()
        self._previous = root.level
        root.setLevel(logging.DEBUG)
        root.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._previous)

    def text(self) -> str:
        return "\n".join(self.lines)
