"""DigiD down: the citizen gets a clear screen of ours (digid_unavailable) with a way to try again, and after
the outage the same session logs in and collects."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
from tests.support.broker_server import BrokerServer
from tests.support.stepwise_citizen import PhoneCitizen

from databrug.robot.browser import REDIRECTS
from databrug.robot.journey import Login, Persona
from databrug.robot.page import Page
from databrug.sdk import AsyncDatabrugClient
from databrug_sandbox.faults import FaultSettings
from databrug_sandbox.server import SandboxServer

PERSONA = "single-renter-low-wage"
OUTAGES = {
    "maintenance": FaultSettings(maintenance=True, retry_after_seconds=600),
    "errors": FaultSettings(error_rate=1.0),
}


@pytest.fixture(autouse=True)
def healthy_afterwards(sandbox: SandboxServer) -> Iterator[None]:
    yield
    sandbox.faults.clear()


@pytest.fixture
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    """A new broker per test: it has not read DigiD's discovery document yet."""
    with BrokerServer(tmp_path_factory.mktemp("idp-faults"), sandbox.base_url) as running:
        yield running


async def paired_phone(broker: BrokerServer) -> PhoneCitizen:
    endpoints = broker.endpoints()
    async with AsyncDatabrugClient(
        endpoints.broker_url, endpoints.provider_id, endpoints.client_secret
    ) as provider:
        created = await provider.create_session(reference="idp-fault")
    citizen = PhoneCitizen(endpoints)
    await citizen.open(created.citizen_url)
    return citizen


async def login_until_callback(citizen: PhoneCitizen, sandbox_url: str, login: Login) -> str:
    """Username, password and SMS code on the IdP's pages; return the callback URL without opening it."""
    browser = citizen.browser
    page = await browser.get(f"{citizen.base}/app/digid/login")
    form = page.form_to("")
    assert form is not None
    assert "username" in form.inputs, page.url
    page = await browser.submit(page, form, press="login", username=login.username, password=login.password)
    sms = next(f for f in page.forms if "code" in f.inputs)
    inbox = await browser.get_json(f"{sandbox_url}/digid/api/sms", username=login.username)
    data = {**sms.fields, "code": str(inbox["code"])}
    data.update({name: value for name, value in sms.buttons if value == "verify"})
    response = await browser.http.post(urljoin(page.url, sms.action or page.url), data=data)
    while response.status_code in REDIRECTS:
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(citizen.base):
            return location
        response = await browser.http.get(location)
    raise AssertionError(f"the IdP did not send the browser back (HTTP {response.status_code})")


def assert_clear_screen(page: Page) -> None:
    assert page.status == 503
    assert page.attrs["error"]["data-code"] == "digid_unavailable"
    assert page.text("error").startswith("DigiD niet bereikbaar")
    assert page.attrs["next-action"]["href"] == "/app/sources"  # "try again"


async def retry_and_collect(citizen: PhoneCitizen, login: Login) -> None:
    page = await citizen.get(citizen.current.attrs["next-action"]["href"])
    assert "digid-login" in page.attrs  # the sources page offers the login again
    page = await citizen.login(login)
    assert "/app/sources" in page.url
    assert page.status == 200
    await citizen.fetch_all()
    assert {line.status for line in citizen.sources().values()} == {"done"}


@pytest.mark.parametrize("outage", sorted(OUTAGES))
async def test_digid_down_before_the_login(
    broker: BrokerServer, sandbox: SandboxServer, personas: dict[str, Persona], outage: str
) -> None:
    citizen = await paired_phone(broker)
    try:
        sandbox.faults.set("digid", OUTAGES[outage])
        assert_clear_screen(await citizen.get("/app/digid/login"))
        sandbox.faults.clear("digid")
        await retry_and_collect(citizen, personas[PERSONA].applicant)
    finally:
        await citizen.close()


@pytest.mark.parametrize("outage", sorted(OUTAGES))
async def test_digid_down_when_the_login_comes_back(
    broker: BrokerServer, sandbox: SandboxServer, personas: dict[str, Persona], outage: str
) -> None:
    """The citizen logged in on DigiD's page, then DigiD goes down before the broker exchanges the code."""
    citizen = await paired_phone(broker)
    login = personas[PERSONA].applicant
    try:
        callback = await login_until_callback(citizen, sandbox.base_url, login)
        sandbox.faults.set("digid", OUTAGES[outage])
        assert_clear_screen(await citizen.get(callback.removeprefix(citizen.base)))
        sandbox.faults.clear("digid")
        await retry_and_collect(citizen, login)
    finally:
        await citizen.close()
