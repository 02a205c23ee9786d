"""The back-office login throttle slows a guesser without locking the caseworker out (issue 14).

In process, on SQLite; each TestClient speaks from its own client address, as the server sees it."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.support.provider_stack import offline_broker_link

from databrug.provider_demo.accounts import LoginThrottle
from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.services import DEMO_CASEWORKER, build_services
from databrug.provider_demo.web.app import create_provider_app
from databrug.provider_demo.web.deps import Site

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
USERNAME, PASSWORD, _ = DEMO_CASEWORKER
ATTACKER, CASEWORKER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    settings = ProviderSettings(
        database_url=f"sqlite:///{tmp_path / 'provider.sqlite3'}", seed_demo_caseworker=True
    )
    return create_provider_app(build_services(settings, link=offline_broker_link("whsec_unused")))


@contextmanager
def browser(app: FastAPI, address: str) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False, client=(address, 50000)) as client:
        yield client


def attempt(client: TestClient, password: str, username: str = USERNAME) -> int:
    token = CSRF.search(client.get("/backoffice/login").text)
    assert token
    data = {"csrf": token.group(1), "username": username, "password": password}
    status: int = client.post("/backoffice/login", data=data).status_code
    return status


def test_fifty_wrong_passwords_from_one_address_do_not_lock_the_caseworker_out(app: FastAPI) -> None:
    with browser(app, ATTACKER) as attacker, browser(app, CASEWORKER) as caseworker:
        assert [attempt(attacker, f"geraden-{n}") for n in range(50)] == [401] * 50
        started = time.monotonic()
        assert attempt(caseworker, PASSWORD) == 303  # from another address: at once, the right password
        assert time.monotonic() - started < 1.0
        assert (
            attempt(attacker, PASSWORD) == 401
        )  # the attacker's address stays locked, right password or not


def test_the_guessers_address_is_locked_after_five_failures_and_the_password_is_not_checked(
    app: FastAPI,
) -> None:
    with browser(app, ATTACKER) as attacker:
        assert [attempt(attacker, "geraden") for _ in range(4)] == [401] * 4
        assert attempt(attacker, PASSWORD) == 303  # four failures: the right password still works
        for _ in range(5):
            attempt(attacker, "geraden")
        assert attempt(attacker, PASSWORD) == 401


def test_a_logged_in_caseworker_keeps_their_session_while_someone_guesses(app: FastAPI) -> None:
    with browser(app, CASEWORKER) as caseworker, browser(app, ATTACKER) as attacker:
        assert attempt(caseworker, PASSWORD) == 303
        for n in range(20):
            attempt(attacker, f"geraden-{n}")
        assert caseworker.get("/backoffice").status_code == 200


def test_guessing_from_many_addresses_slows_new_addresses_but_not_the_caseworkers_usual_one(
    app: FastAPI,
) -> None:
    site: Site = app.state.site
    throttle = LoginThrottle(first_delay=0.01, max_delay=0.05)  # the real doubling, in hundredths
    app.state.site = dataclasses.replace(site, throttle=throttle)
    with browser(app, CASEWORKER) as caseworker:
        assert attempt(caseworker, PASSWORD) == 303  # the caseworker's usual address, from now on
    for n in range(4):
        with browser(app, f"203.0.113.{n}") as guesser:
            for _ in range(5):
                assert attempt(guesser, "geraden") == 401
    now = time.monotonic()
    assert throttle.delay(USERNAME, "192.0.2.1", now) > 0  # a new address waits before its check
    assert throttle.delay(USERNAME, CASEWORKER, now) == 0
    with browser(app, CASEWORKER) as caseworker:
        started = time.monotonic()
        assert attempt(caseworker, PASSWORD) == 303
        assert time.monotonic() - started < 1.0


def test_the_throttle_locks_pairs_and_slows_usernames() -> None:
    throttle = LoginThrottle(limit=5, window=900, slow_after=10, first_delay=0.5, max_delay=8.0)
    for n in range(5):
        assert not throttle.locked("Anna", "a1", 1000.0 + n)
        throttle.failed("Anna", "a1", 1000.0 + n)
    assert throttle.locked("anna", "a1", 1010.0)  # per username (case-blind) and address
    assert not throttle.locked("anna", "a2", 1010.0)
    assert not throttle.locked("bert", "a1", 1010.0)
    assert not throttle.locked("anna", "a1", 1004.0 + 901)  # the window has passed
    assert throttle.delay("anna", "a3", 1010.0) == 0  # five failures in all: not yet slowed
    for n in range(5, 13):
        throttle.failed("anna", f"a{n}", 1010.0)
    assert throttle.delay("anna", "new", 1011.0) == pytest.approx(0.5 * 2**3)  # 13 failures: doubling
    for _ in range(20):
        throttle.failed("anna", "a99", 1012.0)
    assert throttle.delay("anna", "new", 1013.0) == 8.0  # capped
    throttle.succeeded("anna", "office")
    assert throttle.delay("anna", "office", 1013.0) == 0
    assert throttle.delay("anna", "new", 1013.0) == 8.0
    assert throttle.delay("anna", "new", 1012.0 + 901) == 0
    throttle.failed("bert", "b1", 1.0)
    throttle.succeeded("bert", "b1")
    assert not throttle.locked("bert", "b1", 2.0)
