"""Which documents each source gives, and how each is fetched with the citizen's DigiD token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from databrug.records import DocumentType, SourceName
from databrug.sources.belastingdienst.client import BelastingdienstClient
from databrug.sources.http import RetryPolicy
from databrug.sources.mijnoverheid.client import MijnOverheidClient
from databrug.sources.mijnpensioenoverzicht.client import MijnpensioenoverzichtClient
from databrug.sources.uwv.client import fetch_verzekeringsbericht

SOURCE_DOCUMENTS: dict[SourceName, tuple[DocumentType, ...]] = {
    "mijnoverheid": ("brp-persoon", "woz-objecten", "voertuigen"),
    "uwv": ("verzekeringsbericht",),
    "belastingdienst": ("belastinggegevens", "toeslagen"),
    "mijnpensioenoverzicht": ("pensioenoverzicht",),
}

Fetcher = Callable[[httpx.AsyncClient, str, str, str, RetryPolicy], Awaitable[bytes]]
"""(http client, portals base URL, DigiD access token, the citizen's BSN, retry policy) → document bytes."""


async def _brp(http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy) -> bytes:
    return await MijnOverheidClient(http, base, policy).fetch_brp(token, bsn)


async def _woz(http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy) -> bytes:
    return await MijnOverheidClient(http, base, policy).fetch_woz(token)


async def _voertuigen(http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy) -> bytes:
    return await MijnOverheidClient(http, base, policy).fetch_vehicles(token)


async def _verzekeringsbericht(
    http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy
) -> bytes:
    return await fetch_verzekeringsbericht(http, base, token, policy=policy)


async def _belastinggegevens(
    http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy
) -> bytes:
    return await BelastingdienstClient(http, base, policy).fetch_belastinggegevens(token)


async def _toeslagen(http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy) -> bytes:
    return await BelastingdienstClient(http, base, policy).fetch_toeslagen(token)


async def _pensioenoverzicht(
    http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy
) -> bytes:
    return await MijnpensioenoverzichtClient(http, base, policy).fetch_pensioenoverzicht(token, "xml")


FETCHERS: dict[DocumentType, Fetcher] = {
    "brp-persoon": _brp,
    "woz-objecten": _woz,
    "voertuigen": _voertuigen,
    "verzekeringsbericht": _verzekeringsbericht,
    "belastinggegevens": _belastinggegevens,
    "toeslagen": _toeslagen,
    "pensioenoverzicht": _pensioenoverzicht,
}
