"""Fetching a document from a source portal: retries with backoff and jitter, Retry-After, and bounds.

Every fetch is bounded in time and size, whatever the portal does: each attempt (connect, headers and the
whole body) within ``RetryPolicy.timeout``, all attempts and waits together within ``RetryPolicy.deadline``,
and the answer streamed and refused past ``RetryPolicy.max_bytes``: a portal trickling its answer, or sending
too much, cannot hold the citizen's request or the broker's memory. A breach is ``source_unavailable``, and
the citizen retries that source alone.

Errors name the source and the HTTP status, never the URL's query or the body (they may hold personal data).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from databrug.records import SourceName
from databrug.sources.errors import SourceMaintenance, SourceNotAuthorised, SourceUnavailable

MAX_ANSWER_BYTES = 4 * 1024 * 1024
"""A portal's answer, refused past this while it streams. Portal documents are machine-made and small (the
sandbox's largest is 16 KB); one fetch-all reads seven at once, and 7 x 4 MiB stays within the 64 MiB one
request may cost the broker. (A citizen's own upload may be larger: ``MAX_DOCUMENT_BYTES``.)"""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.25  # seconds; doubled each attempt, with full jitter
    max_delay: float = 4.0
    timeout: float = 15.0  # per attempt: connecting, the headers and the whole body
    deadline: float = 30.0  # all attempts and the waits between them
    max_retry_after: float = 5.0  # wait this long at most for a Retry-After before giving up
    max_bytes: int = MAX_ANSWER_BYTES


DEFAULT_POLICY = RetryPolicy()

_RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


def retry_after_seconds(value: str | None) -> int | None:
    """Parse a Retry-After header (delta-seconds or an HTTP date) into whole seconds."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None

    return max(0, int(moment.timestamp() - time.time()))


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(max_delay, base * 2**attempt)]."""
    ceiling = min(policy.max_delay, policy.base_delay * (2**attempt))
    return (rng or random).uniform(0, ceiling)


class _AnswerRefused(Exception):
    """An answer refused as it arrives; not retried, the portal would send the same again."""


@dataclass(frozen=True)
class _Answer:
    status: int
    retry_after: str | None
    body: bytes


async def _attempt(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: dict[str, str],
    json: object | None,
    params: dict[str, str] | None,
    policy: RetryPolicy,
) -> _Answer:
    async with client.stream(
        method, url, headers=headers, json=json, params=params, timeout=policy.timeout
    ) as response:
        status = response.status_code
        if status >= 300:  # nothing of an error's body is used: not read at all
            return _Answer(status, response.headers.get("Retry-After"), b"")
        if response.headers.get("Content-Encoding", "identity").lower() != "identity":
            # Asked for identity: a compressed answer would be decoded past the byte cap in one step.
            raise _AnswerRefused("answered in an encoding it was not asked for")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > policy.max_bytes:
            raise _AnswerRefused(f"answered more than {policy.max_bytes} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():  # identity only (checked above): the bytes as sent
            body += chunk
            if len(body) > policy.max_bytes:
                raise _AnswerRefused(f"answered more than {policy.max_bytes} bytes")
        return _Answer(status, None, bytes(body))


async def fetch(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    source: SourceName,
    token: str,
    json: object | None = None,
    params: dict[str, str] | None = None,
    accept: str | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> bytes:
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    if accept:
        headers["Accept"] = accept
    clock = asyncio.get_running_loop()
    ends = clock.time() + policy.deadline
    last_problem = "no attempt made"
    for attempt in range(policy.attempts):
        final = attempt == policy.attempts - 1
        left = ends - clock.time()
        if left <= 0:
            break
        try:
            async with asyncio.timeout(min(policy.timeout, left)):
                answer = await _attempt(client, method, url, headers, json, params, policy)
        except (TimeoutError, httpx.TimeoutException):
            last_problem = "timed out"
        except httpx.TransportError:
            last_problem = "could not be reached"
        except _AnswerRefused as refused:
            raise SourceUnavailable(source, str(refused)) from None
        else:
            status = answer.status
            if status < 300:
                return answer.body
            if status in (401, 403):
                raise SourceNotAuthorised(source, f"refused the login token (HTTP {status})")
            if status == 503:
                wait = retry_after_seconds(answer.retry_after)
                if final or wait is None or wait > policy.max_retry_after or wait >= ends - clock.time():
                    raise SourceMaintenance(source, "is in maintenance", wait)
                await asyncio.sleep(wait)
                continue
            if status not in _RETRYABLE_STATUS:
                raise SourceUnavailable(source, f"answered HTTP {status}")
            last_problem = f"answered HTTP {status}"
        if not final:
            await asyncio.sleep(min(backoff_delay(attempt, policy), max(0.0, ends - clock.time())))
    if clock.time() >= ends:
        raise SourceUnavailable(source, f"{last_problem}; no answer within {policy.deadline:g} s")
    raise SourceUnavailable(source, f"{last_problem} after {policy.attempts} attempts")
