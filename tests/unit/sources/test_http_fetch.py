"""The shared fetch helper: retries, backoff, Retry-After and typed errors (portal answers simulated)."""

from __future__ import annotations

import random

import httpx
import pytest

from databrug.sources.errors import SourceMaintenance, SourceNotAuthorised, SourceUnavailable
from databrug.sources.http import RetryPolicy, backoff_delay, fetch, retry_after_seconds

FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002, timeout=1.0, max_retry_after=0)


def client_answering(*responses: httpx.Response | Exception) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


async def test_returns_body_and_sends_bearer_token() -> None:
    client, seen = client_answering(httpx.Response(200, content=b"%PDF-1.7"))
    body = await fetch(client, "GET", "http://portal/doc", source="uwv", token="tok", policy=FAST)
    assert body == b"%PDF-1.7"
    assert seen[0].headers["Authorization"] == "Bearer tok"


async def test_retries_server_errors_then_succeeds() -> None:
    client, seen = client_answering(
        httpx.Response(502), httpx.Response(500), httpx.Response(200, content=b"ok")
    )
    assert await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=FAST) == b"ok"
    assert len(seen) == 3


async def test_timeouts_are_retried_and_then_reported() -> None:
    timeout = httpx.ReadTimeout("slow")
    client, seen = client_answering(timeout, timeout, timeout)
    with pytest.raises(SourceUnavailable, match="timed out after 3 attempts") as caught:
        await fetch(client, "GET", "http://p/d", source="belastingdienst", token="t", policy=FAST)
    assert caught.value.code == "source_unavailable"
    assert len(seen) == 3


async def test_maintenance_carries_retry_after() -> None:
    client, _ = client_answering(httpx.Response(503, headers={"Retry-After": "120"}))
    with pytest.raises(SourceMaintenance) as caught:
        await fetch(client, "GET", "http://p/d", source="mijnoverheid", token="t", policy=FAST)
    assert caught.value.retry_after_seconds == 120


async def test_short_retry_after_is_honoured_once() -> None:
    policy = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001, max_retry_after=1)
    client, seen = client_answering(
        httpx.Response(503, headers={"Retry-After": "0"}), httpx.Response(200, content=b"x")
    )
    assert await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=policy) == b"x"
    assert len(seen) == 2


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_token_is_not_retried(status: int) -> None:
    client, seen = client_answering(httpx.Response(status))
    with pytest.raises(SourceNotAuthorised):
        await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=FAST)
    assert len(seen) == 1


async def test_client_errors_are_not_retried_and_hide_the_url() -> None:
    client, seen = client_answering(httpx.Response(404))
    with pytest.raises(SourceUnavailable) as caught:
        await fetch(client, "GET", "http://p/d?bsn=999993653", source="uwv", token="t", policy=FAST)
    assert len(seen) == 1
    assert "999993653" not in str(caught.value)


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=3.0)
    rng = random.Random(1)
    delays = [max(backoff_delay(n, policy, rng) for _ in range(200)) for n in range(5)]
    assert delays[0] <= 1.0 < delays[1] <= 2.0
    assert all(d <= 3.0 for d in delays)


def test_retry_after_formats() -> None:
    assert retry_after_seconds("30") == 30
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
