"""Security headers on every response of every route: CSP with frame-ancestors 'none', no referrer, nosniff,
no framing; HSTS only when the request came over HTTPS (directly, or from a trusted proxy's header)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.support.app_routes import Endpoint, endpoints
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import access_token

from databrug.bootstrap import build_broker
from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.sdk import DatabrugClient
from databrug.web.app import create_app
from databrug_sandbox.server import SandboxServer

HTTPS = {"X-Forwarded-Proto": "https"}  # what a TLS-terminating proxy in front of the broker adds


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    """Loopback is the trusted proxy: its X-Forwarded-Proto says whether the browser came over HTTPS."""
    with BrokerServer(
        tmp_path_factory.mktemp("headers"), sandbox.base_url, trusted_proxies="127.0.0.1"
    ) as running:
        yield running


def check_headers(response: httpx.Response, https: bool, where: str) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "default-src 'self'" in csp, where
    assert "object-src 'none'" in csp, where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    hsts = headers.get("strict-transport-security")
    if https:
        assert hsts is not None, where
        assert "max-age=31536000" in hsts, where
    else:
        assert hsts is None, where


def walk(client: httpx.Client, routes: list[Endpoint], values: dict[str, str], https: bool) -> dict[str, int]:
    seen = {}
    for route in routes:
        path = route.path(values)
        extra = HTTPS if https else {}
        # Streamed: the event routes never end by themselves; their headers are all this needs.
        with client.stream(route.method, path, headers=extra, timeout=10) as response:
            check_headers(response, https, f"{route.method} {route.template} (HTTP {response.status_code})")
            seen[f"{route.method} {route.template}"] = response.status_code
    return seen


def routes_of(broker: BrokerServer) -> list[Endpoint]:
    found = endpoints(broker.app, static_file="databrug.css")
    assert len(found) > 30  # the walk really covers the app (API, computer pages, phone app, static)
    return found


@pytest.mark.parametrize("https", [False, True], ids=["http", "https-behind-proxy"])
def test_every_route_answers_with_the_headers_without_credentials(broker: BrokerServer, https: bool) -> None:
    values = {
        "session_id": "ses_aaaaaaaaaaaaaaaaaaaaaa",
        "provider_id": "robot-provider",
        "name": "uwv",
        "code": "store_unavailable",
    }
    with httpx.Client(base_url=broker.url) as anonymous:
        seen = walk(anonymous, routes_of(broker), values, https)
    assert seen["GET /api/v1/sessions/{session_id}"] == 401
    assert seen["GET /c/info"] == 401
    assert seen["GET /"] == 200


@pytest.mark.parametrize("https", [False, True], ids=["http", "https-behind-proxy"])
def test_every_get_route_answers_with_the_headers_inside_a_session(broker: BrokerServer, https: bool) -> None:
    endpoints_ = broker.endpoints()
    with DatabrugClient(endpoints_.broker_url, endpoints_.provider_id, endpoints_.client_secret) as provider:
        created = provider.create_session(reference="headers")
    token = parse_qs(urlsplit(created.citizen_url).query)["t"][0]
    with httpx.Client(
        base_url=broker.url, headers={"Authorization": f"Bearer {access_token(endpoints_)}"}
    ) as citizen:
        assert citizen.get("/start", params={"t": token}).status_code == 303
        assert citizen.post("/c/phone-start").status_code == 303  # this client is now the phone app too
        values = {"session_id": created.id, "provider_id": endpoints_.provider_id, "name": "uwv", "code": "x"}
        gets = [r for r in routes_of(broker) if r.method == "GET"]
        seen = walk(citizen, gets, values, https)
    assert seen["GET /api/v1/sessions/{session_id}"] == 200
    assert seen["GET /c/info"] in (200, 303)
    assert seen["GET /app/sources"] == 200


async def test_hsts_follows_the_scheme_of_the_asgi_request(tmp_path: Path) -> None:
    """Straight at the ASGI app (no proxy header): the scope's scheme alone decides."""
    settings = Settings(providers_file=tmp_path / "providers.json", broker_secret="headers")
    provision_robot(settings, tmp_path / "robot.json")
    app = create_app(build_broker(settings), background=False)
    transport = httpx.ASGITransport(app=app)
    for base, https in (("https://broker.example", True), ("http://broker.example", False)):
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            for path in ("/", "/app/", "/api/v1/sessions/ses_aaaaaaaaaaaaaaaaaaaaaa", "/nowhere"):
                check_headers(await client.get(path), https, f"{base}{path}")
