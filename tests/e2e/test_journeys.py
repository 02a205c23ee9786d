"""Whole journeys in a real browser: a single person, a couple (partner step), and the phone-only path."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from databrug.sdk import verify_consents
from tests.e2e import flows
from tests.e2e.screens import Shots, assert_accessible
from tests.e2e.stack import PROVIDER_NAME, Stack

SINGLE = "single-renter-low-wage"
COUPLE = "couple-both-employed"


def _delivered(stack: Stack, session_id: str, roles: set[str]) -> None:
    """The provider side: the package arrives, holds everyone who consented, and decrypts."""
    with stack.provider() as provider:
        assert provider.get_session(session_id).state == "delivered"
        package = provider.fetch_package(session_id)
        assert {s.role for s in package.subjects} == roles
        assert set(verify_consents(package)) == roles
        assert all(entry.origin == "fetched" for entry in package.sources)
        provider.acknowledge(session_id)


def test_single_person_journey(
    stack: Stack, desktop: Page, phone: Page, camera_file: Path, shots: Shots
) -> None:
    persona = stack.personas[SINGLE]
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-single")
    flows.open_invitation(desktop, created.citizen_url, shots)
    # branded: the provider's name, colour and support contact
    expect(desktop.get_by_text(PROVIDER_NAME).first).to_be_visible()
    expect(desktop.locator(".site-header")).to_have_css("background-color", "rgb(11, 93, 75)")
    expect(desktop.locator(".site-footer a[href^=mailto]")).to_be_visible()

    # English on request, on the same screen, and axe is as happy in English
    desktop.get_by_test_id("lang-en").click()
    expect(desktop.locator("html")).to_have_attribute("lang", "en")
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Link your phone")
    shots.take(desktop, "computer-qr-english")
    assert_accessible(desktop, "qr (English)")
    desktop.get_by_test_id("lang-nl").click()
    expect(desktop.locator("html")).to_have_attribute("lang", "nl")

    phone.goto(f"{stack.broker_url}/app/")
    assert_accessible(phone, "app start")
    flows.scan_with_camera(phone, stack.broker_url, desktop, camera_file, shots)
    flows.confirm_code(phone, desktop, shots)
    shots.take(phone, "phone-login")
    assert_accessible(phone, "sources before login")
    flows.digid_login(phone, stack.sandbox_url, persona.applicant, shots)
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    assert_accessible(phone, "sources after login")
    flows.fetch_all(phone)
    for source in ("mijnoverheid", "uwv", "belastingdienst", "mijnpensioenoverzicht"):
        expect(phone.locator(f"li[data-source={source}]")).to_have_attribute("data-status", "done")
    shots.take(phone, "phone-sources-done")
    assert_accessible(phone, "sources done")
    shots.take(desktop, "computer-progress")
    assert_accessible(desktop, "progress")
    phone.get_by_test_id("next").click()
    flows.review_and_consent(phone, ["applicant"], shots)

    # the computer follows by itself and ends with the way back to the provider
    expect(desktop.get_by_test_id("finished")).to_be_visible(timeout=10_000)
    expect(desktop.get_by_test_id("return")).to_contain_text(PROVIDER_NAME)
    expect(desktop.get_by_test_id("return")).to_have_attribute("href", re.compile(r"/?case=e2e-single$"))
    shots.take(desktop, "computer-done")
    assert_accessible(desktop, "computer done")
    _delivered(stack, created.id, {"applicant"})


def test_couple_journey(stack: Stack, desktop: Page, phone: Page, camera_file: Path, shots: Shots) -> None:
    persona = stack.personas[COUPLE]
    assert persona.partner is not None
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-couple")
    flows.open_invitation(desktop, created.citizen_url, shots, check=False)
    flows.scan_with_camera(phone, stack.broker_url, desktop, camera_file, shots)
    flows.confirm_code(phone, desktop, shots, check=False)
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    flows.fetch_one_by_one(phone)
    phone.get_by_test_id("next").click()

    # the data names a partner: the partner logs in on the same phone with their own DigiD
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    expect(phone.get_by_test_id("digid-login")).to_be_visible()
    shots.take(phone, "phone-partner-login")
    assert_accessible(phone, "partner step")
    flows.digid_login(phone, stack.sandbox_url, persona.partner)
    flows.fetch_all(phone)
    shots.take(phone, "phone-partner-sources")
    phone.get_by_test_id("next").click()
    flows.review_and_consent(phone, ["applicant", "partner"], shots, check=True)
    expect(desktop.get_by_test_id("finished")).to_be_visible(timeout=10_000)
    _delivered(stack, created.id, {"applicant", "partner"})


def test_phone_only_journey(stack: Stack, phone: Page, shots: Shots) -> None:
    """Someone with only a phone opens the invitation on it: no QR code, no pairing code."""
    persona = stack.personas[SINGLE]
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-phone-only")
    phone.goto(created.citizen_url)
    # the app's own start: no info, checklist, install or QR page (tests/e2e/test_phone_frame.py has more)
    expect(phone).to_have_url(re.compile(r"/c/phone$"))
    shots.take(phone, "phone-start")
    assert_accessible(phone, "start on a phone")
    phone.get_by_test_id("use-computer").click()  # the computer's pages lead to the phone start too
    phone.get_by_test_id("start").click()
    phone.get_by_test_id("next").click()
    expect(phone.get_by_test_id("phone-start")).to_be_visible()
    phone.get_by_test_id("phone-start").click()
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    flows.fetch_all(phone)
    phone.get_by_test_id("next").click()
    flows.review_and_consent(phone, ["applicant"], shots, check=False)
    _delivered(stack, created.id, {"applicant"})
