"""The UWV client asks the portal for the verzekeringsbericht PDF with the citizen's token."""

from __future__ import annotations

import httpx
import pytest

from databrug.sources.errors import SourceMaintenance, SourceNotAuthorised
from databrug.sources.http import RetryPolicy
from databrug.sources.uwv.client import UwvClient, fetch_verzekeringsbericht

FAST = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001, timeout=1.0, max_retry_after=0)


def portal(*responses: httpx.Response) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


async def test_fetches_the_pdf_with_the_token() -> None:
    http, seen = portal(httpx.Response(200, content=b"%PDF-1.7 ..."))
    body = await UwvClient(http, "http://sandbox:8720/", policy=FAST).fetch_verzekeringsbericht("token-1")
    assert body == b"%PDF-1.7 ..."
    request = seen[0]
    assert request.method == "GET"
    assert str(request.url) == "http://sandbox:8720/uwv/api/verzekeringsbericht"
    assert request.headers["Accept"] == "application/pdf"
    assert request.headers["Authorization"] == "Bearer token-1"


async def test_a_server_error_is_retried() -> None:
    http, seen = portal(httpx.Response(500), httpx.Response(200, content=b"%PDF-"))
    assert (
        await UwvClient(http, "http://sandbox:8720", policy=FAST).fetch_verzekeringsbericht("t") == b"%PDF-"
    )
    assert len(seen) == 2


async def test_refused_token_and_maintenance_are_typed_errors() -> None:
    http, _ = portal(httpx.Response(403))
    with pytest.raises(SourceNotAuthorised) as refused:
        await UwvClient(http, "http://sandbox:8720", policy=FAST).fetch_verzekeringsbericht("t")
    assert refused.value.source == "uwv"
    http, _ = portal(httpx.Response(503, headers={"Retry-After": "3600"}))
    with pytest.raises(SourceMaintenance) as maintenance:
        await UwvClient(http, "http://sandbox:8720", policy=FAST).fetch_verzekeringsbericht("t")
    assert maintenance.value.retry_after_seconds == 3600


async def test_the_function_form_fetches_the_same_document() -> None:
    http, seen = portal(httpx.Response(200, content=b"%PDF-"))
    assert await fetch_verzekeringsbericht(http, "http://sandbox:8720", "t", policy=FAST) == b"%PDF-"
    assert seen[0].url.path == "/uwv/api/verzekeringsbericht"
