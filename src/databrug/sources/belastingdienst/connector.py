"""The Belastingdienst connector: the VIA download (XML) and Mijn toeslagen (JSON), fetched with DigiD."""

from __future__ import annotations

import httpx

from databrug.sources.belastingdienst import parser_belastinggegevens, parser_toeslagen
from databrug.sources.belastingdienst.client import BelastingdienstClient
from databrug.sources.connector import Connector
from databrug.sources.http import RetryPolicy


async def _belastinggegevens(
    http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy
) -> bytes:
    return await BelastingdienstClient(http, base, policy).fetch_belastinggegevens(token)


async def _toeslagen(http: httpx.AsyncClient, base: str, token: str, bsn: str, policy: RetryPolicy) -> bytes:
    return await BelastingdienstClient(http, base, policy).fetch_toeslagen(token)


CONNECTOR = Connector(
    source="belastingdienst",
    fetchers={"belastinggegevens": _belastinggegevens, "toeslagen": _toeslagen},
    parsers={"belastinggegevens": parser_belastinggegevens.PARSER, "toeslagen": parser_toeslagen.PARSER},
)
