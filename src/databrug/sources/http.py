"""Fetching a document from a source portal: timeouts, retries with backoff and jitter, Retry-After.

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


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.25  # seconds; doubled each attempt, with full jitter
    max_delay: float = 4.0
    timeout: float = 15.0  # per attempt
    max_retry_after: float = 5.0  # wait this long at most for a Retry-After before giving up


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
    headers = {"Authorization": f"Bearer {token}"}
    if accept:
        headers["Accept"] = accept
    last_problem = "no attempt made"
    for attempt in range(policy.attempts):
        final = attempt == policy.attempts - 1
        try:
            response = await client.request(
                method, url, headers=headers, json=json, params=params, timeout=policy.timeout
            )
        except httpx.TimeoutException:
            last_problem = "timed out"
        except httpx.TransportError:
            last_problem = "could not be reached"
        else:
            status = response.status_code
            if status < 300:
                return response.content
            if status in (401, 403):
                raise SourceNotAuthorised(source, f"refused the login token (HTTP {status})")
            if status == 503:
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if final or wait is None or wait > policy.max_retry_after:
                    raise SourceMaintenance(source, "is in maintenance", wait)
                await asyncio.sleep(wait)
                continue
            if status not in _RETRYABLE_STATUS:
                raise SourceUnavailable(source, f"answered HTTP {status}")
            last_problem = f"answered HTTP {status}"
        if not final:
            await asyncio.sleep(backoff_delay(attempt, policy))
    raise SourceUnavailable(source, f"{last_problem} after {policy.attempts} attempts")
