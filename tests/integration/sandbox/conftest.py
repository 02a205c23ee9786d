"""One real sandbox server (uvicorn on a free loopback port) per test module, plus test-only DigiD logins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.support.digid_flow import TEST_REDIRECT_URI, DigidBrowser

from databrug_sandbox.idp.accounts import Account, AccountDirectory
from databrug_sandbox.idp.clients import ClientRegistration
from databrug_sandbox.portals.sources import rvig_bsns
from databrug_sandbox.server import SandboxServer, SandboxSettings, build_accounts, catalogue_households

TEST_PASSWORD = "test-wachtwoord-1"
CONFIDENTIAL_CLIENT = "confidential-test"
CONFIDENTIAL_SECRET = "s3cr:et&more"  # ':' and '&' must survive basic auth (RFC 6749 §2.3.1)


def extra_accounts() -> list[Account]:
    """Logins for tests that must not disturb the catalogue personas (lock-outs, no SMS, person A/B)."""
    first, second = rvig_bsns()[:2]
    return [
        Account("test-a", TEST_PASSWORD, first, origin="test"),
        Account("test-b", TEST_PASSWORD, second, origin="test"),
        Account("test-lock", TEST_PASSWORD, first, origin="test"),
        Account("test-lock-sms", TEST_PASSWORD, first, origin="test"),
        Account("test-nosms", TEST_PASSWORD, second, sms_enabled=False, origin="test"),
    ]


def sandbox_accounts() -> AccountDirectory:
    accounts = build_accounts(catalogue_households(), rvig_bsns())
    for account in extra_accounts():
        accounts.add(account)
    return accounts


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    confidential = ClientRegistration(
        CONFIDENTIAL_CLIENT, (TEST_REDIRECT_URI,), client_secret=CONFIDENTIAL_SECRET, name="Vertrouwelijk"
    )
    settings = SandboxSettings(
        port=0, redirect_uris=(TEST_REDIRECT_URI,), lockout_minutes=10, extra_clients=(confidential,)
    )
    with SandboxServer(settings, sandbox_accounts()) as server:
        yield server


@pytest.fixture
def browser(sandbox: SandboxServer) -> Iterator[DigidBrowser]:
    with DigidBrowser(sandbox.base_url) as b:
        yield b
