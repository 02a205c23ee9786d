"""The Mijnpensioenoverzicht connector: the pension overview, fetched as XML with the DigiD token."""

from __future__ import annotations

import httpx

from databrug.sources.connector import Connector
from databrug.sources.http import RetryPolicy
from databrug.sources.mijnpensioenoverzicht import parser_pensioenoverzicht
from databrug.sources.mijnpensioenoverzicht.client import MijnpensioenoverzichtClient


async def _pensioenoverzicht(
    http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy
) -> bytes:
    return await MijnpensioenoverzichtClient(http, base, policy).fetch_pensioenoverzicht(token, "xml")


CONNECTOR = Connector(
    source="mijnpensioenoverzicht",
    fetchers={"pensioenoverzicht": _pensioenoverzicht},
    parsers={"pensioenoverzicht": parser_pensioenoverzicht.PARSER},
)
