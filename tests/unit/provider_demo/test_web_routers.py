"""The demo provider's app as assembled from its four routers: the back office behind one staff dependency,
the error pages and the unhandled-error guard around all of them. In process, on SQLite."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from tests.support.app_routes import Endpoint, endpoints
from tests.support.provider_stack import offline_broker_link

from databrug.provider_demo.accounts import add_caseworker
from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.services import DEMO_CASEWORKER, build_services
from databrug.provider_demo.web import backoffice, erasure, public, webhook
from databrug.provider_demo.web.app import create_provider_app
from databrug.provider_demo.web.deps import Site
from databrug.provider_demo.web.staff import staff_form, staff_login

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
WEBHOOK_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
CLERK = ("klerk", "Geen-beheerder-7", "Klerk")  # a caseworker who is not an administrator


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    link = offline_broker_link(WEBHOOK_SECRET)
    settings = ProviderSettings(
        database_url=f"sqlite:///{tmp_path / 'provider.sqlite3'}", seed_demo_caseworker=True
    )
    services = build_services(settings, link=link)
    with services.db.session() as db:
        add_caseworker(db, *CLERK)
    return create_provider_app(services)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client


def site(app: FastAPI) -> Site:
    found: Site = app.state.site
    return found


def log_in(client: TestClient, username: str, password: str) -> str:
    """Logs in; the login's CSRF token, as the back office's forms carry it."""
    page = client.get("/backoffice/login")
    token = CSRF.search(page.text)
    assert token
    answer = client.post(
        "/backoffice/login", data={"csrf": token.group(1), "username": username, "password": password}
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/backoffice")
    staff = CSRF.search(client.get("/backoffice/settings").text)
    assert staff
    return staff.group(1)


def calls(dependant: Dependant) -> set[Callable[..., Any]]:
    found: set[Callable[..., Any]] = set()
    for sub in dependant.dependencies:
        if sub.call is not None:
            found.add(sub.call)
        found |= calls(sub)
    return found


def test_the_app_is_the_four_routers_its_health_check_and_static_files(app: FastAPI) -> None:
    routers = (public.router, webhook.router, backoffice.router, erasure.router)
    parts = [set(endpoints(router, "")) for router in routers]
    assert set(endpoints(app, "provider.css")) - set().union(*parts) == {
        Endpoint("GET", "/health"),
        Endpoint("GET", "/static/provider.css"),
    }
    assert not set.intersection(*parts)
    assert all(e.template.startswith("/backoffice") for e in parts[2])


def test_every_back_office_route_but_login_and_logout_sits_behind_the_staff_dependency() -> None:
    for route in backoffice.router.routes:
        assert isinstance(route, APIRoute)
        needs = calls(route.dependant)
        if route.path in ("/backoffice/login", "/backoffice/logout"):
            assert staff_login not in needs, route.path
            continue
        assert staff_login in needs, route.path
        if "POST" in (route.methods or ()):
            assert staff_form in needs, route.path  # a POST also carries the login's CSRF token


def test_without_a_login_the_back_office_sends_to_the_login_before_reading_a_form(client: TestClient) -> None:
    assert client.get("/backoffice").headers["location"] == "/backoffice/login"
    undecodable = b'--B\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n..\r\n--B--\r\n'
    for path in ("/backoffice/cases/case_1/delete", "/backoffice/settings"):
        answer = client.post(
            path,
            content=undecodable,
            headers={"Content-Type": "multipart/form-data; boundary=B; charset=punycode"},
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/backoffice/login"), path


def test_a_back_office_form_needs_the_logins_csrf_token_and_settings_an_admin(client: TestClient) -> None:
    csrf = log_in(client, CLERK[0], CLERK[1])
    for data in ({}, {"csrf": "other"}, {"csrf": csrf}):  # the last one lacks confirm=yes
        refused = client.post("/backoffice/cases/case_1/delete", data=data)
        assert refused.status_code == 403, data
        assert "Content-Security-Policy" in refused.headers
    assert client.post("/backoffice/cases/case_1/resend", data={"csrf": csrf}).headers["location"] == (
        "/backoffice/cases/case_1?m=resend_failed"
    )
    settings = {"csrf": csrf, "code": "default", "percentage": "125"}
    assert client.post("/backoffice/settings", data=settings).status_code == 403


def test_an_admin_saves_settings_and_logout_ends_the_login(client: TestClient) -> None:
    username, password, _ = DEMO_CASEWORKER
    csrf = log_in(client, username, password)
    saved = client.post("/backoffice/settings", data={"csrf": csrf, "code": "default", "percentage": "125"})
    assert saved.headers["location"] == "/backoffice/settings?gemeente=default&m=saved"
    invalid = client.post("/backoffice/settings", data={"csrf": csrf, "code": "default", "percentage": "x"})
    assert invalid.status_code == 422
    assert client.post("/backoffice/logout", data={"csrf": csrf}).headers["location"] == "/backoffice/login"
    assert client.get("/backoffice").headers["location"] == "/backoffice/login"


def test_an_unexpected_error_is_the_500_page_or_a_retry_and_its_message_is_not_logged(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> Any:
        raise RuntimeError("a dossier value")

    services = site(app).services
    monkeypatch.setattr(services.cases, "all_cases", broken)
    monkeypatch.setattr(services.intake, "handle_webhook", broken)
    username, password, _ = DEMO_CASEWORKER
    log_in(client, username, password)
    with caplog.at_level(logging.DEBUG, logger="databrug.provider_demo"):
        page = client.get("/backoffice")
        retry = client.post("/webhooks/databrug", content=b"{}")
    assert page.status_code == 500
    assert "Content-Security-Policy" in page.headers
    assert page.headers["content-type"].startswith("text/html")
    assert (retry.status_code, retry.text) == (500, "retry")
    lines = [r.getMessage() for r in caplog.records if r.name == "databrug.provider_demo.web"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("unhandled error type=RuntimeError at=databrug.provider_demo.web.backoffice:")
    assert lines[0].endswith("route=GET /backoffice")
    assert lines[1].startswith("unhandled error type=RuntimeError at=databrug.provider_demo.web.webhook:")
    assert lines[1].endswith("route=POST /webhooks/databrug")
    assert "a dossier value" not in caplog.text
