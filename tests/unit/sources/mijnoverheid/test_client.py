"""The MijnOverheid client: the Haal Centraal request for the own BSN, the token, the three paths."""

from __future__ import annotations

import json

import httpx
import pytest

from databrug.sources.errors import SourceNotAuthorised
from databrug.sources.http import RetryPolicy
from databrug.sources.mijnoverheid.client import BRP_PATH, VEHICLES_PATH, WOZ_PATH, MijnOverheidClient

FAST = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002, timeout=1.0, max_retry_after=0)


def recording_client(status: int = 200) -> tuple[httpx.AsyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=b'{"ok": true}')

    return httpx.AsyncClient(transport=httpx.MockTransport(handler)), seen


async def test_brp_is_a_haal_centraal_post_for_the_own_bsn() -> None:
    http, seen = recording_client()
    async with http:
        body = await MijnOverheidClient(http, "http://portal.test/", FAST).fetch_brp("tok-123", "999993653")
    assert body == b'{"ok": true}'
    [request] = seen
    assert request.method == "POST"
    assert request.url == "http://portal.test" + BRP_PATH
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert "999993653" not in str(request.url)
    sent = json.loads(request.content)
    assert sent["type"] == "RaadpleegMetBurgerservicenummer"
    assert sent["burgerservicenummer"] == ["999993653"]
    assert 1 <= len(sent["fields"]) <= 130
    # Automatically delivered fields may not be asked for (the API answers 400).
    assert not {"inOnderzoek", "geheimhoudingPersoonsgegevens", "opschortingBijhouding", "rni"} & set(
        sent["fields"]
    )


async def test_woz_and_vehicles_are_gets_with_their_media_types() -> None:
    http, seen = recording_client()
    async with http:
        client = MijnOverheidClient(http, "http://portal.test", FAST)
        await client.fetch_woz("tok")
        await client.fetch_vehicles("tok")
    assert [(r.method, r.url.path, r.headers["Accept"]) for r in seen] == [
        ("GET", WOZ_PATH, "application/hal+json"),
        ("GET", VEHICLES_PATH, "application/json"),
    ]


async def test_a_refused_token_is_a_typed_error() -> None:
    http, _ = recording_client(status=403)
    async with http:
        with pytest.raises(SourceNotAuthorised):
            await MijnOverheidClient(http, "http://portal.test", FAST).fetch_woz("expired")
