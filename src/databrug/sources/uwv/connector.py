"""The UWV connector: the verzekeringsbericht (PDF), fetched with the citizen's DigiD token."""

from __future__ import annotations

import httpx

from databrug.sources.connector import Connector
from databrug.sources.http import RetryPolicy
from databrug.sources.uwv import parser_verzekeringsbericht
from databrug.sources.uwv.client import fetch_verzekeringsbericht


async def _verzekeringsbericht(
    http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy
) -> bytes:
    return await fetch_verzekeringsbericht(http, base, token, policy=policy)


CONNECTOR = Connector(
    source="uwv",
    fetchers={"verzekeringsbericht": _verzekeringsbericht},
    parsers={"verzekeringsbericht": parser_verzekeringsbericht.PARSER},
)
