"""The shared fetch helper: retries, backoff, Retry-After, typed errors, and its bounds: a deadline across
attempts, a whole-answer timeout per attempt, a byte cap while streaming (portal answers simulated)."""

from __future__ import annotations

import asyncio
import gzip
import random
import time
import tracemalloc
from collections.abc import AsyncIterator

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


class Trickle(httpx.AsyncByteStream):
    """An answer body that arrives a piece at a time, ``pause`` seconds apart, forever or ``pieces`` times."""

    def __init__(self, piece: bytes, pause: float, pieces: int | None = None) -> None:
        self.piece = piece
        self.pause = pause
        self.pieces = pieces
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pieces is None or self.sent < self.pieces:
            await asyncio.sleep(self.pause)
            self.sent += 1
            yield self.piece


def streaming(
    *streams: Trickle, headers: dict[str, str] | None = None
) -> tuple[httpx.AsyncClient, list[int]]:
    started: list[int] = []
    queue = list(streams)

    def handler(request: httpx.Request) -> httpx.Response:
        started.append(len(started))
        return httpx.Response(200, headers=headers, stream=queue.pop(0))

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), started


async def test_a_trickling_answer_fails_at_the_deadline_across_attempts() -> None:
    # 150 bytes/s: a 16 KB document would take 108 s. Each attempt gets 0.4 s, all of them 1 s.
    policy = RetryPolicy(attempts=5, base_delay=0.001, max_delay=0.001, timeout=0.4, deadline=1.0)
    trickles = [Trickle(b"x" * 15, pause=0.1) for _ in range(5)]
    client, started = streaming(*trickles)
    begun = time.perf_counter()
    with pytest.raises(SourceUnavailable, match="no answer within 1 s") as caught:
        await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=policy)
    took = time.perf_counter() - begun
    assert caught.value.code == "source_unavailable"
    assert 1.0 <= took < 2.0
    assert len(started) == 3  # 0.4 + 0.4 + what is left: the deadline, not attempts x timeout, bounds it


async def test_each_attempt_is_bounded_with_its_whole_body() -> None:
    # Every piece comes well within any per-read timeout; only a bound on the whole answer stops it.
    policy = RetryPolicy(attempts=1, timeout=0.3, deadline=10.0)
    client, _ = streaming(Trickle(b"x", pause=0.05))
    begun = time.perf_counter()
    with pytest.raises(SourceUnavailable, match="timed out after 1 attempts"):
        await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=policy)
    assert time.perf_counter() - begun < 1.3


async def test_a_slow_but_steady_answer_within_the_bounds_is_read_whole() -> None:
    policy = RetryPolicy(attempts=1, timeout=2.0, deadline=2.0)
    client, _ = streaming(Trickle(b"abc", pause=0.01, pieces=20))
    assert await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=policy) == b"abc" * 20


async def test_an_endless_answer_is_refused_at_the_cap_while_it_streams() -> None:
    cap = 8 * 1024 * 1024
    policy = RetryPolicy(attempts=3, timeout=30.0, deadline=30.0, max_bytes=cap)
    endless = Trickle(b"\0" * 65536, pause=0)
    client, started = streaming(endless)  # one stream only: a second attempt would fail the test
    tracemalloc.start()
    try:
        with pytest.raises(SourceUnavailable, match=f"more than {cap} bytes") as caught:
            await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=policy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "source_unavailable"
    assert len(started) == 1  # not retried: the portal would send as much again
    assert endless.sent * 65536 <= cap + 65536  # it stopped reading at the cap
    assert peak < 1.5 * cap  # the answer so far, once: measured 1.07x


async def test_a_declared_oversized_answer_is_refused_before_its_body() -> None:
    body = Trickle(b"x", pause=0, pieces=10)
    client, _ = streaming(body, headers={"Content-Length": str(10**9)})
    with pytest.raises(SourceUnavailable, match="more than"):
        await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=FAST)
    assert body.sent == 0


async def test_identity_is_asked_for_and_an_encoded_answer_refused() -> None:
    # A gzip body would be decoded past the cap in one step (1 KiB can inflate to 1 MiB): not accepted at all.
    bomb = gzip.compress(b"\0" * (4 * 1024 * 1024))
    client, seen = client_answering(httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=bomb))
    with pytest.raises(SourceUnavailable, match="encoding"):
        await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=FAST)
    assert seen[0].headers["Accept-Encoding"] == "identity"
    assert len(seen) == 1


async def test_a_retry_after_beyond_the_deadline_is_not_waited_for() -> None:
    policy = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.001, deadline=1.0, max_retry_after=5)
    client, seen = client_answering(httpx.Response(503, headers={"Retry-After": "2"}))
    begun = time.perf_counter()
    with pytest.raises(SourceMaintenance):
        await fetch(client, "GET", "http://p/d", source="uwv", token="t", policy=policy)
    assert time.perf_counter() - begun < 0.5
    assert len(seen) == 1
