"""The MijnOverheid connector: BRP person, WOZ objects and vehicles, fetched with the DigiD token."""

from __future__ import annotations

import httpx

from databrug.sources.connector import Connector
from databrug.sources.http import RetryPolicy
from databrug.sources.mijnoverheid import parser_brp, parser_vehicles, parser_woz
from databrug.sources.mijnoverheid.client import MijnOverheidClient


async def _brp(http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy) -> bytes:
    return await MijnOverheidClient(http, base, policy).fetch_brp(token, bsn)


async def _woz(http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy) -> bytes:
    return await MijnOverheidClient(http, base, policy).fetch_woz(token)


async def _voertuigen(http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy) -> bytes:
    return await MijnOverheidClient(http, base, policy).fetch_vehicles(token)


CONNECTOR = Connector(
    source="mijnoverheid",
    fetchers={"brp-persoon": _brp, "woz-objecten": _woz, "voertuigen": _voertuigen},
    parsers={
        "brp-persoon": parser_brp.PARSER,
        "woz-objecten": parser_woz.PARSER,
        "voertuigen": parser_vehicles.PARSER,
    },
)
