"""The consent screen in a real browser (issue 17): the purpose in plain words, what goes with counts,
how long the provider keeps it, third parties, the privacy statement (a new tab, and it says so), "within the
published purpose X version Y" with a readable page of the templates; the receipt's erasure code and form.
Outcome mode: the outcome and its inputs before consent, after "investigate" a separate unticked choice to
send the data. Screenshots on a 390 px phone and a desktop width; axe on every screen."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from databrug.purposes import template
from tests.e2e import flows
from tests.e2e.screens import Shots, assert_accessible
from tests.e2e.stack import PROVIDER_ID, PROVIDER_NAME, Stack

SINGLE = "single-renter-low-wage"
SINGLE_PARENT = "single-parent-benefit"
POLIS = template("gemeentepolis")
ERASURE_PATH = "/e2e-gegevens-wissen"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture
def erasure_address(stack: Stack) -> Iterator[str]:
    """The provider registered with an erasure page (on the broker's own host: no second server needed)."""
    registry = stack.broker.registry
    registered = registry.find(PROVIDER_ID)
    assert registered is not None
    url = f"{stack.broker_url}{ERASURE_PATH}"
    registry.put(registered.model_copy(update={"erasure_url": url, "retention_days": 180}))
    yield url
    registry.put(registered)


def _to_review(stack: Stack, phone: Page, persona_key: str, **asked: object) -> None:
    persona = stack.personas[persona_key]
    with stack.provider() as provider:
        created = provider.create_session(reference=f"e2e-terms-{persona_key}", **asked)  # type: ignore[arg-type]
    phone.goto(created.citizen_url)
    expect(phone).to_have_url(re.compile(r"/c/phone$"))
    phone.get_by_test_id("phone-start").click()  # pairs this phone and goes straight to DigiD
    login = persona.applicant
    expect(phone.locator("#username")).to_be_visible()
    phone.locator("#username").fill(login.username)
    phone.locator("#password").fill(login.password)
    phone.get_by_role("button", name="Inloggen").click()
    if login.sms_enabled:
        sms = httpx.get(f"{stack.sandbox_url}/digid/api/sms", params={"username": login.username}, timeout=5)
        phone.locator("#code").fill(str(sms.json()["code"]))
        phone.get_by_role("button", name="Controleren").click()
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    flows.fetch_all(phone)
    phone.get_by_test_id("next").click()
    expect(phone).to_have_url(re.compile(r"/app/review$"))


def test_the_consent_screen_says_purpose_retention_third_parties_privacy_and_template(
    stack: Stack, phone: Page, shots: Shots, erasure_address: str
) -> None:
    _to_review(stack, phone, SINGLE)
    phone.set_viewport_size(PHONE)
    expect(phone.get_by_test_id("purpose")).to_contain_text(POLIS.title["nl"])
    expect(phone.get_by_test_id("purpose")).to_contain_text(POLIS.summary["nl"])
    expect(phone.get_by_test_id("retention")).to_contain_text(
        f"{PROVIDER_NAME} bewaart uw gegevens 180 dagen"
    )
    expect(phone.get_by_test_id("third-parties")).to_have_text(
        f"{PROVIDER_NAME} geeft uw gegevens aan niemand anders door."
    )
    privacy = phone.get_by_test_id("privacy-link")
    expect(privacy).to_have_attribute("target", "_blank")
    expect(privacy).to_contain_text("opent in een nieuw tabblad")
    expect(phone.get_by_test_id("template")).to_contain_text(
        f"binnen het gepubliceerde doel ‘{POLIS.title['nl']}’ (versie {POLIS.version})"
    )
    for group in ("personen", "inkomens", "pensioenen", "bezittingen"):
        expect(phone.get_by_test_id(f"group-{group}").locator("xpath=./summary")).to_have_text(
            re.compile(r"\(\d+\)")
        )
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the review scrolls sideways on a phone ({width} px)"
    shots.take(phone, "review-terms-phone")
    assert_accessible(phone, "review with the consent terms")
    phone.set_viewport_size(DESKTOP)
    shots.take(phone, "review-terms-desktop")
    phone.set_viewport_size(PHONE)

    # the published purposes, for people
    phone.get_by_test_id("template-link").click()
    expect(phone).to_have_url(re.compile(rf"/doelen#{POLIS.id}-{POLIS.version}$"))
    polis = phone.get_by_test_id(f"purpose-{POLIS.id}-{POLIS.version}")
    expect(polis).to_contain_text("Loon: ten hoogste de laatste 12 maanden")
    expect(polis).to_contain_text("art. 35 lid 3 Participatiewet")
    shots.take(phone, "purposes-page")
    assert_accessible(phone, "the published purposes")
    phone.go_back()
    expect(phone).to_have_url(re.compile(r"/app/review"))

    phone.get_by_test_id("consent-applicant").check()
    phone.get_by_test_id("consent").click()
    expect(phone).to_have_url(re.compile(r"/app/done$"))
    code = phone.get_by_test_id("erasure-code").text_content() or ""
    assert re.fullmatch(r"era_[A-Za-z0-9_-]{32}", code), code
    expect(phone.get_by_test_id("done-terms")).to_contain_text("180 dagen")
    form = phone.get_by_test_id("erasure-form")
    expect(form).to_have_attribute("action", erasure_address)
    expect(form.locator("input[name=erasure_token]")).to_have_value(code)
    shots.take(phone, "done-erasure-phone")
    assert_accessible(phone, "done with the erasure code")
    phone.set_viewport_size(DESKTOP)
    shots.take(phone, "done-erasure-desktop")


def test_an_outcome_only_consent_after_investigate_may_send_the_data_too(
    stack: Stack, phone: Page, shots: Shots
) -> None:
    # the application says no children, the BRP has one: the rule cannot decide, the data may follow
    parameters = {"percentage": "120", "includes_holiday_allowance": False, "asset_test": True}
    outcome = {"parameters": parameters, "declared_children": 0}
    _to_review(stack, phone, SINGLE_PARENT, delivery="outcome", outcome=outcome)
    phone.set_viewport_size(PHONE)
    expect(phone.get_by_test_id("outcome-word")).to_have_text("Uitkomst: Moet worden onderzocht")
    expect(phone.get_by_test_id("outcome-income-limit")).to_contain_text("120% van de bijstandsnorm")
    expect(phone.get_by_test_id("outcome-reasons")).to_contain_text("aantal kinderen")
    expect(phone.get_by_test_id("outcome-what-goes")).to_contain_text("gaan niet mee")
    choice = phone.get_by_test_id("send-data")
    expect(choice).not_to_be_checked()
    expect(phone.get_by_test_id("consent")).to_have_text(f"Uitkomst versturen naar {PROVIDER_NAME}")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the outcome review scrolls sideways on a phone ({width} px)"
    shots.take(phone, "outcome-review-phone")
    assert_accessible(phone, "outcome review")
    phone.set_viewport_size(DESKTOP)
    shots.take(phone, "outcome-review-desktop")
    phone.set_viewport_size(PHONE)

    choice.check()
    phone.get_by_test_id("consent-applicant").check()
    phone.get_by_test_id("consent").click()
    expect(phone).to_have_url(re.compile(r"/app/done$"))
    expect(phone.get_by_test_id("sent-outcome")).to_contain_text("Moet worden onderzocht")
    expect(phone.get_by_test_id("sent-outcome")).to_contain_text("ook uw gegevens meegestuurd")
    shots.take(phone, "outcome-done-phone")
    assert_accessible(phone, "outcome done")
