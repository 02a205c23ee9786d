"""The sandbox's BRP answers, as served over HTTP, validate against the official Haal Centraal BRP Personen
2.7 OpenAPI document with a response validator nobody here wrote (openapi-core): the status, the media type
the spec declares (``application/json; charset=utf-8``) and the body, for every catalogue citizen."""

from __future__ import annotations

import json
import time
from importlib import resources
from typing import Any

import httpx
import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import DataValidationError

from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.server import SandboxServer

SPEC_SERVER = "https://proefomgeving.haalcentraal.nl"
BRP_PATH = "/mijnoverheid/haalcentraal/api/brp/personen"


@pytest.fixture(scope="module")
def brp_spec() -> OpenAPI:
    text = resources.files("databrug_sandbox.specs").joinpath("brp-personen-2.7.0.openapi.yaml").read_text()
    return OpenAPI.from_dict(yaml.safe_load(text))


def _token(sandbox: SandboxServer, bsn: str) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": sandbox.idp.issuer,
        "aud": "sandbox-portals",
        "sub": bsn,
        "iat": now,
        "exp": now + 300,
        "loa": "midden",
        "acr": "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
    }
    return sandbox.idp.tokens.sign(claims)


def _citizens() -> list[str]:
    return sorted({citizen.bsn for household in CATALOGUE.values() for citizen in household.citizens()})


def _validated(spec: OpenAPI, query: dict[str, Any], answer: httpx.Response) -> None:
    request = MockRequest(
        SPEC_SERVER,
        "post",
        "/haalcentraal/api/brp/personen",
        data=json.dumps(query).encode(),
        content_type="application/json; charset=utf-8",
    )
    response = MockResponse(
        answer.content, status_code=answer.status_code, content_type=answer.headers["content-type"]
    )
    spec.validate_response(request, response)


def test_every_catalogue_citizen_s_brp_answer_validates_against_the_official_spec(
    sandbox: SandboxServer, brp_spec: OpenAPI
) -> None:
    bsns = _citizens()
    assert len(bsns) >= 14
    with httpx.Client(base_url=sandbox.base_url, timeout=10) as client:
        for bsn in bsns:
            query = {
                "type": "RaadpleegMetBurgerservicenummer",
                "burgerservicenummer": [bsn],
                "fields": [
                    "burgerservicenummer",
                    "naam",
                    "geboorte",
                    "verblijfplaats",
                    "partners",
                    "kinderen",
                ],
            }
            answer = client.post(
                BRP_PATH, json=query, headers={"Authorization": f"Bearer {_token(sandbox, bsn)}"}
            )
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"] == "application/json; charset=utf-8"
            _validated(brp_spec, query, answer)


def test_the_validator_refuses_the_old_media_type(sandbox: SandboxServer, brp_spec: OpenAPI) -> None:
    """What the sandbox answered before: the same body as plain ``application/json`` is refused."""
    bsn = _citizens()[0]
    query = {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [bsn], "fields": ["naam"]}
    with httpx.Client(base_url=sandbox.base_url, timeout=10) as client:
        answer = client.post(
            BRP_PATH, json=query, headers={"Authorization": f"Bearer {_token(sandbox, bsn)}"}
        )
    plain = httpx.Response(200, content=answer.content, headers={"content-type": "application/json"})
    with pytest.raises(DataValidationError) as refused:
        _validated(brp_spec, query, plain)
    assert isinstance(refused.value.__cause__, MediaTypeNotFound)
