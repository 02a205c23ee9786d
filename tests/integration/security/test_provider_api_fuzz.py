"""Schemathesis against the provider API, as documented in docs/api/openapi.json, on a running broker with a
real provider access token: no server error, and every answer (status, content type, body) as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import access_token

from databrug.sdk import DatabrugClient
from databrug_sandbox.server import SandboxServer

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase

OPENAPI = Path(__file__).resolve().parents[3] / "docs" / "api" / "openapi.json"
schema = schemathesis.openapi.from_path(OPENAPI)


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    # Fuzzing creates sessions by the dozen: the per-provider limit is not what this test is about.
    with BrokerServer(
        tmp_path_factory.mktemp("fuzz"), sandbox.base_url, sessions_per_minute=100_000
    ) as running:
        yield running


@pytest.fixture(scope="module")
def credentials(broker: BrokerServer) -> tuple[dict[str, str], str]:
    """A real access token, and a real session of this provider (fuzzed ids alone would only find 404s)."""
    endpoints = broker.endpoints()
    with DatabrugClient(endpoints.broker_url, endpoints.provider_id, endpoints.client_secret) as provider:
        session = provider.create_session(reference="fuzz").id
    return {"Authorization": f"Bearer {access_token(endpoints)}"}, session


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_provider_api_keeps_its_contract(
    case: OpenApiCase, broker: BrokerServer, credentials: tuple[dict[str, str], str]
) -> None:
    headers, session_id = credentials
    if case.path_parameters and "session_id" in case.path_parameters and case.method == "GET":
        case.path_parameters["session_id"] = session_id
    if case.path.endswith("/events"):
        # Without ?after the answer is an endless event stream; the JSON list is what can be validated.
        case.query = {**(case.query or {}), "after": 0}
        # schemathesis declares Case.headers a requests CaseInsensitiveDict, but only reads it as a mapping
        case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "accept"}  # type: ignore[assignment]
    negative = case.meta is not None and case.meta.is_negative_at
    if case.path.endswith("/events") and negative and negative(ParameterLocation.QUERY):
        return  # the query it made invalid was replaced above: nothing invalid left to be refused
    # The document declares the bearer token (bearerAuth): a case whose headers schemathesis made invalid
    # (the Authorization header left out, say) goes as made, with no token of ours, and must be refused (401).
    token = {} if negative and negative(ParameterLocation.HEADER) else headers
    case.call_and_validate(base_url=broker.url, headers=token, timeout=10)
