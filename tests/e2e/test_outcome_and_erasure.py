"""Outcome-only delivery and erasure on request with the demo provider, in a real browser (issue 17).

A municipality set to "outcome only": the resident applies on the provider's site, opens the invitation on a
phone, logs in with DigiD, fetches the sources and sees the outcome with its inputs before consenting. The
provider receives the broker's signed outcome and the person records only (no income, pension or asset
record), and its back office shows the outcome, the rule, the parameters and the evidence digest with the way
to ask for the full data. Then the citizen asks for erasure from the receipt page: the provider deletes the
case and answers with a confirmation signed by its published key; the same code a second time erases nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from databrug.provider_demo.intake import open_package
from databrug.provider_demo.municipalities import save_settings
from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.services import DEMO_CASEWORKER
from databrug.provider_demo.storage.tables import Case, StoredPackage
from databrug.robot.journey import Persona
from databrug.robot.setup import load_personas
from databrug.sdk import verify_consents, verify_erasure_confirmation, verify_outcome
from databrug_sandbox.server import SandboxServer, SandboxSettings
from tests.e2e import flows
from tests.e2e.conftest import DESKTOP
from tests.e2e.screens import TIMEOUT_MS, Shots, assert_accessible, phone_options
from tests.support.provider_stack import ProviderStack, RunningProvider

AMSTERDAM = "GM0363"
PERSONA = "ww-benefit"  # on WW, single, renting: within the limits (tests/unit/eligibility/golden)
PHONE_VIEWPORT = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Demo:
    provider: ProviderStack
    sandbox: SandboxServer
    personas: dict[str, Persona]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    directory = tmp_path_factory.mktemp("outcome-demo")
    with (
        SandboxServer(SandboxSettings(port=0)) as sandbox,
        RunningProvider(
            directory, sandbox.base_url, f"sqlite:///{directory / 'provider.sqlite3'}"
        ) as running,
    ):
        with running.services.db.session() as db:
            save_settings(db, AMSTERDAM, MunicipalitySettings(delivery="outcome"), "e2e")
        yield Demo(running, sandbox, load_personas(sandbox.base_url))


def _wait_for(check: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def _apply(demo: Demo, browser: Browser, email: str) -> tuple[Case, str]:
    """Apply for Amsterdam on the provider's site; the case and the invitation link."""
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{demo.provider.url}/aanvragen")
        field = page.get_by_label("Gemeente", exact=True)
        field.fill("Amsterdam")
        field.press("Enter")
        expect(page.locator("p.lead")).to_have_text("Gemeente Amsterdam")
        page.get_by_label("Naam", exact=True).fill("Wilma de Wit")
        page.get_by_label("E-mailadres").fill(email)
        page.locator("#partner-no").check()
        page.get_by_label(re.compile("^Aantal kinderen")).fill("0")
        page.locator("#consent-box").check()
        page.get_by_role("button", name="Aanvraag versturen").click()
        expect(page).to_have_url(re.compile(r"/aanvraag-ontvangen"))
    finally:
        context.close()
    [case] = [c for c in demo.provider.services.cases.all_cases() if c.email == email]
    assert case.delivery == "outcome"
    [mail] = [m for m in demo.provider.mails.all() if email in m.envelope_to]
    link = re.search(r"(http\S+/start\?t=\S+)", mail.text)
    assert link is not None
    return case, link.group(1)


def _stored(demo: Demo, case_id: str) -> StoredPackage | None:
    packages = demo.provider.services.cases.packages(case_id)
    return packages[0] if packages and packages[0].acknowledged_at is not None else None


def test_an_outcome_only_application_sends_the_signed_outcome_and_the_receipt_erases_the_case(
    demo: Demo, playwright: Playwright, desktop_browser: Browser, shots: Shots
) -> None:
    case, link = _apply(demo, desktop_browser, "wilma@example.nl")
    phone_context = desktop_browser.new_context(**{**phone_options(playwright), "viewport": PHONE_VIEWPORT})
    phone_context.set_default_timeout(TIMEOUT_MS)
    phone: Page = phone_context.new_page()
    try:
        # the invitation opened on the phone: the app starts by itself, DigiD, every source
        phone.goto(link)
        expect(phone).to_have_url(re.compile(r"/c/phone$"))
        phone.get_by_test_id("phone-start").click()
        login = demo.personas[PERSONA].applicant
        expect(phone.locator("#username")).to_be_visible()
        phone.locator("#username").fill(login.username)
        phone.locator("#password").fill(login.password)
        phone.get_by_role("button", name="Inloggen").click()
        if login.sms_enabled:
            sms = httpx.get(
                f"{demo.sandbox.base_url}/digid/api/sms", params={"username": login.username}, timeout=5
            ).json()
            phone.locator("#code").fill(str(sms["code"]))
            phone.get_by_role("button", name="Controleren").click()
        expect(phone).to_have_url(re.compile(r"/app/sources$"))
        flows.fetch_all(phone)
        phone.get_by_test_id("next").click()

        # the outcome and its inputs before consent; only the outcome and the personal details go
        expect(phone).to_have_url(re.compile(r"/app/review$"))
        expect(phone.get_by_test_id("outcome-word")).to_have_text("Uitkomst: Voldoet")
        expect(phone.get_by_test_id("outcome-income-limit")).to_contain_text("120% van de bijstandsnorm")
        expect(phone.get_by_test_id("outcome-what-goes")).to_contain_text("gaan niet mee")
        expect(phone.get_by_test_id("send-data")).to_have_count(0)  # only after "investigate"
        shots.take(phone, "outcome-review")
        assert_accessible(phone, "outcome review at the demo provider's request")
        phone.get_by_test_id("consent-applicant").check()
        phone.get_by_test_id("consent").click()
        expect(phone).to_have_url(re.compile(r"/app/done$"))
        expect(phone.get_by_test_id("sent-outcome")).to_contain_text("Voldoet")
        code = phone.get_by_test_id("erasure-code").text_content() or ""
        assert code.startswith("era_")

        # the provider has the signed outcome and no income, pension or asset record
        _wait_for(
            lambda: _stored(demo, case.id) is not None, "the outcome package was stored and acknowledged"
        )
        stored = _stored(demo, case.id)
        assert stored is not None
        package = open_package(stored, demo.provider.services.link.private_jwks)
        verify_consents(package)
        keys = httpx.get(
            f"{demo.provider.broker.url}/.well-known/databrug-receipt-keys.json", timeout=5
        ).json()
        statement = verify_outcome(package, keys)
        assert statement.outcome == "grant"
        assert statement.rule_id == "gemeentepolis-toets"
        assert package.purpose is not None
        assert package.purpose.id == "gemeentepolis"
        for subject in package.subjects:
            assert subject.person is not None
            incomes, pensions, assets = subject.incomes, subject.pensions, subject.assets
            assert (incomes.relations, incomes.tax_years, incomes.allowances) == ([], [], [])
            assert (pensions.state_pension, pensions.schemes, pensions.survivor_pensions) == (None, [], [])
            assert (assets.homes, assets.mortgages, assets.vehicles, assets.bank_balances) == ([], [], [], [])
        assert not package.documents
        assert {entry.source for entry in package.sources} == {"mijnoverheid"}

        # the back office shows the outcome, its rule, parameters and evidence, and the full-data path
        office = desktop_browser.new_context(**DESKTOP)
        office.set_default_timeout(TIMEOUT_MS)
        staff = office.new_page()
        username, password, _ = DEMO_CASEWORKER
        staff.goto(f"{demo.provider.url}/backoffice/login")
        staff.get_by_label("Gebruikersnaam").fill(username)
        staff.get_by_label("Wachtwoord").fill(password)
        staff.get_by_role("button", name="Inloggen").click()
        staff.goto(f"{demo.provider.url}/backoffice/cases/{case.id}")
        outcome = staff.get_by_test_id("outcome")
        expect(outcome).to_contain_text("gemeentepolis-toets")
        expect(outcome).to_contain_text(statement.inputs_digest)
        expect(staff.get_by_test_id("request-full-data")).to_be_visible()
        expect(staff.locator("figure.chart-figure")).to_have_count(0)  # no incomes came: nothing to draw
        shown = outcome.inner_text()
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", shown), f"a code shown on the Dutch dossier: {shown}"
        shots.take(staff, "backoffice-outcome")
        assert_accessible(staff, "back office, outcome-only case")
        office.close()

        # erasure from the receipt: the provider deletes the case and signs a confirmation
        phone.get_by_test_id("erasure-request").click()
        expect(phone).to_have_url(re.compile(r"/gegevens-wissen$"))
        expect(phone.get_by_test_id("erasure-done")).to_be_visible()
        confirmation = phone.get_by_test_id("erasure-confirmation").input_value()
        shots.take(phone, "erasure-confirmed")
        assert_accessible(phone, "erasure confirmation at the provider")
        provider_keys = httpx.get(f"{demo.provider.url}/.well-known/erasure-keys.json", timeout=5).json()
        facts = verify_erasure_confirmation(confirmation, provider_keys)
        assert facts.provider_reference == case.id
        assert package.package_id in facts.package_ids
        assert demo.provider.services.cases.get(case.id) is None
        assert demo.provider.services.cases.packages(case.id) == []

        # the same code again: nothing left to erase, and the answer says no more than that
        again = httpx.post(f"{demo.provider.url}/api/erasure", json={"erasure_token": code}, timeout=5)
        assert again.status_code == 404
    finally:
        phone_context.close()
