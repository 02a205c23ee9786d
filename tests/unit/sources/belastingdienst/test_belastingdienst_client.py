"""The Belastingdienst client asks the right portal paths with the citizen's token and returns the bytes."""

from __future__ import annotations

import httpx
import pytest
from tests.unit.sources.belastingdienst import belastingdienst_citizens

from databrug.sources.belastingdienst import BELASTINGGEGEVENS_PARSER, TOESLAGEN_PARSER, BelastingdienstClient
from databrug.sources.errors import SourceNotAuthorised, SourceUnavailable
from databrug.sources.http import RetryPolicy
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents.belastingdienst import render_belastinggegevens, render_toeslagen

FAST = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002, timeout=1.0, max_retry_after=0)


def portal(seen: list[httpx.Request], status: int = 200) -> httpx.AsyncClient:
    citizen = belastingdienst_citizens.single_renter()
    documents = {
        "/belastingdienst/api/belastinggegevens": render_belastinggegevens(citizen),
        "/belastingdienst/api/toeslagen": render_toeslagen(citizen),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if status != 200:
            return httpx.Response(status)
        return httpx.Response(200, content=documents[request.url.path])

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_fetches_both_documents_with_token_and_accept_header() -> None:
    seen: list[httpx.Request] = []
    async with portal(seen) as http:
        client = BelastingdienstClient(http, "http://127.0.0.1:8720/", policy=FAST)
        via = await client.fetch_belastinggegevens("token-1")
        toeslagen = await client.fetch_toeslagen("token-1")
    assert [str(r.url) for r in seen] == [
        "http://127.0.0.1:8720/belastingdienst/api/belastinggegevens",
        "http://127.0.0.1:8720/belastingdienst/api/toeslagen",
    ]
    assert all(r.method == "GET" and r.headers["Authorization"] == "Bearer token-1" for r in seen)
    assert [r.headers["Accept"] for r in seen] == ["application/xml", "application/json"]
    assert BELASTINGGEGEVENS_PARSER.parse(via, ParseContext()).subject.incomes.tax_years
    assert TOESLAGEN_PARSER.parse(toeslagen, ParseContext()).subject.incomes.allowances


async def test_refused_token_is_a_typed_error_without_the_token() -> None:
    seen: list[httpx.Request] = []
    async with portal(seen, status=401) as http:
        with pytest.raises(SourceNotAuthorised) as caught:
            await BelastingdienstClient(http, "http://portal", policy=FAST).fetch_toeslagen("secret-token")
    assert caught.value.source == "belastingdienst"
    assert "secret-token" not in str(caught.value)


async def test_portal_errors_are_retried_then_reported() -> None:
    seen: list[httpx.Request] = []
    async with portal(seen, status=502) as http:
        with pytest.raises(SourceUnavailable):
            await BelastingdienstClient(http, "http://portal", policy=FAST).fetch_belastinggegevens("t")
    assert len(seen) == FAST.attempts
