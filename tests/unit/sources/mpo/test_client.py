"""The MPO client asks the portal for the download in the requested format, with the citizen's token."""

from __future__ import annotations

import httpx
import pytest

from databrug.sources.errors import SourceNotAuthorised
from databrug.sources.http import RetryPolicy
from databrug.sources.mijnpensioenoverzicht.client import MijnpensioenoverzichtClient

FAST = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001, timeout=1.0, max_retry_after=0)


def portal(*responses: httpx.Response) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize(("fmt", "media_type"), [("xml", "application/xml"), ("json", "application/json")])
async def test_fetches_the_download_in_the_asked_format(fmt: str, media_type: str) -> None:
    http, seen = portal(httpx.Response(200, content=b"<Pensioenaanspraken/>"))
    client = MijnpensioenoverzichtClient(http, "http://sandbox:8720/", policy=FAST)
    body = await client.fetch_pensioenoverzicht("token-1", fmt)  # type: ignore[arg-type]
    assert body == b"<Pensioenaanspraken/>"
    request = seen[0]
    assert request.method == "GET"
    assert request.url.path == "/mijnpensioenoverzicht/api/download"
    assert request.url.params["formaat"] == fmt
    assert request.headers["Accept"] == media_type
    assert request.headers["Authorization"] == "Bearer token-1"


async def test_xml_is_the_default_and_a_retry_follows_a_server_error() -> None:
    http, seen = portal(httpx.Response(502), httpx.Response(200, content=b"ok"))
    client = MijnpensioenoverzichtClient(http, "http://sandbox:8720", policy=FAST)
    assert await client.fetch_pensioenoverzicht("t") == b"ok"
    assert [r.url.params["formaat"] for r in seen] == ["xml", "xml"]


async def test_refused_token_is_a_typed_error() -> None:
    http, _ = portal(httpx.Response(401))
    client = MijnpensioenoverzichtClient(http, "http://sandbox:8720", policy=FAST)
    with pytest.raises(SourceNotAuthorised) as caught:
        await client.fetch_pensioenoverzicht("t", "json")
    assert caught.value.source == "mijnpensioenoverzicht"
