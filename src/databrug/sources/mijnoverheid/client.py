"""Fetching the three MijnOverheid documents with the citizen's DigiD token (via the shared fetch helper).

BRP is the Haal Centraal BRP Personen v2.7 ``POST /personen`` with a ``RaadpleegMetBurgerservicenummer`` body
for the citizen's own BSN (the subject of the verified DigiD login); WOZ and vehicles are plain GETs.
"""

from __future__ import annotations

import httpx

from databrug.sources.http import DEFAULT_POLICY, RetryPolicy, fetch

BRP_PATH = "/mijnoverheid/haalcentraal/api/brp/personen"
WOZ_PATH = "/mijnoverheid/api/wozobjecten"
VEHICLES_PATH = "/mijnoverheid/api/voertuigen"

# What the data package needs from the Persoon. Automatically delivered fields (inOnderzoek,
# geheimhoudingPersoonsgegevens, opschortingBijhouding, rni, verificatie) must not be listed.
BRP_FIELDS = (
    "burgerservicenummer",
    "geslacht",
    "naam",
    "geboorte",
    "leeftijd",
    "nationaliteiten",
    "verblijfplaats",
    "partners",
    "kinderen",
    "overlijden",
)


def brp_request(bsn: str) -> dict[str, object]:
    """The Haal Centraal request body for one person."""
    return {
        "type": "RaadpleegMetBurgerservicenummer",
        "burgerservicenummer": [bsn],
        "fields": list(BRP_FIELDS),
    }


class MijnOverheidClient:
    """One portal base URL (sandbox or real); the token is passed per call and never stored."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._policy = policy

    async def fetch_brp(self, token: str, bsn: str) -> bytes:
        """The citizen's BRP person; ``bsn`` is the verified DigiD subject (the portal refuses any other)."""
        return await fetch(
            self._http,
            "POST",
            self._base_url + BRP_PATH,
            source="mijnoverheid",
            token=token,
            json=brp_request(bsn),
            accept="application/json",
            policy=self._policy,
        )

    async def fetch_woz(self, token: str) -> bytes:
        """The WOZ objects the citizen owns or uses, as HAL+JSON."""
        return await fetch(
            self._http,
            "GET",
            self._base_url + WOZ_PATH,
            source="mijnoverheid",
            token=token,
            accept="application/hal+json",
            policy=self._policy,
        )

    async def fetch_vehicles(self, token: str) -> bytes:
        """The vehicles registered to the citizen, as JSON."""
        return await fetch(
            self._http,
            "GET",
            self._base_url + VEHICLES_PATH,
            source="mijnoverheid",
            token=token,
            accept="application/json",
            policy=self._policy,
        )
