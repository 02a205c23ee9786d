"""Language and contact carried through (issue 15, points 7 and 8): the citizen's language from session
creation on the computer and in the app (the person's own switch still wins), the provider's support contact
with its phone number on error and declined pages (the broker's general help where no session is known), and
the QR page open in two tabs."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import flows
from tests.e2e.screens import Shots, assert_accessible
from tests.e2e.stack import SUPPORT_PHONE, Stack

SINGLE = "single-renter-low-wage"


def _support_shown(page: Page) -> None:
    contact = page.get_by_test_id("support-contact").first
    expect(contact).to_be_visible()
    expect(contact.get_by_test_id("support-email")).to_have_attribute("href", re.compile(r"^mailto:"))
    phone_link = contact.get_by_test_id("support-phone")
    expect(phone_link).to_have_text(SUPPORT_PHONE)
    expect(phone_link).to_have_attribute("href", "tel:" + SUPPORT_PHONE.replace(" ", ""))


def test_an_english_session_speaks_english_and_names_the_support_contact_everywhere(
    stack: Stack, desktop: Page, phone: Page, camera_file: Path, shots: Shots
) -> None:
    # Both browsers ask for Dutch (nl-NL): the provider's word for this citizen wins over that default
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-english", language="en")
    desktop.goto(created.citizen_url)
    expect(desktop).to_have_url(re.compile(r"/c/info$"))
    expect(desktop.locator("html")).to_have_attribute("lang", "en")
    _support_shown(desktop)
    shots.take(desktop, "computer-info-english")
    assert_accessible(desktop, "info (en)")
    desktop.goto(f"{stack.broker_url}/c/qr")
    expect(desktop.locator("html")).to_have_attribute("lang", "en")
    flows.scan_with_camera(phone, stack.broker_url, desktop, camera_file, shots)
    expect(phone.locator("html")).to_have_attribute("lang", "en")  # the code screen speaks it too
    flows.confirm_code(phone, desktop, shots, check=False)
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_role("heading", level=1)).not_to_have_text(re.compile(r"gegevens", re.I))
    shots.take(phone, "phone-sources-english")
    assert_accessible(phone, "sources (en)")

    # an error screen of this session: in English, with the provider's e-mail and phone number
    phone.goto(f"{stack.broker_url}/app/error/digid_cancelled")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    _support_shown(phone)
    shots.take(phone, "phone-error-english")
    assert_accessible(phone, "error (en)")
    # the person's own choice still wins, and is kept
    phone.get_by_test_id("lang-nl").click()
    expect(phone.locator("html")).to_have_attribute("lang", "nl")
    _support_shown(phone)
    phone.get_by_test_id("lang-en").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")

    phone.goto(f"{stack.broker_url}/app/sources")
    flows.digid_login(phone, stack.sandbox_url, stack.personas[SINGLE].applicant)
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    flows.fetch_all(phone)
    phone.get_by_test_id("next").click()
    expect(phone).to_have_url(re.compile(r"/app/review$"))
    phone.get_by_test_id("decline").click()
    expect(phone.get_by_test_id("declined")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    _support_shown(phone)
    shots.take(phone, "phone-declined-english")
    assert_accessible(phone, "declined (en)")

    # the computer's page after the session ended still names whom to ask
    desktop.goto(f"{stack.broker_url}/c/progress")
    expect(desktop.locator("html")).to_have_attribute("lang", "en")
    _support_shown(desktop)
    shots.take(desktop, "computer-stopped-english")


def test_an_unknown_link_shows_the_general_help(stack: Stack, desktop: Page, shots: Shots) -> None:
    desktop.goto(f"{stack.broker_url}/start?t=dbp_{'x' * 43}")
    expect(desktop.get_by_test_id("error")).to_be_visible()
    expect(desktop.get_by_test_id("support-general")).to_be_visible()
    expect(desktop.get_by_test_id("support-contact")).to_have_count(0)
    shots.take(desktop, "computer-unknown-link")
    assert_accessible(desktop, "unknown link")


def test_the_qr_page_in_a_second_tab_says_the_first_was_replaced(
    stack: Stack, desktop: Page, shots: Shots
) -> None:
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-two-tabs")
    first = desktop
    first.goto(created.citizen_url)
    first.goto(f"{stack.broker_url}/c/qr")
    expect(first.get_by_test_id("pairing-qr")).to_be_visible()
    expect(first.get_by_test_id("qr-replaced")).to_be_hidden()

    second = desktop.context.new_page()
    second.goto(f"{stack.broker_url}/c/qr")
    expect(second.get_by_test_id("pairing-qr")).to_be_visible()
    # the first tab learns it by itself (no reload by the test) and hides its dead code
    replaced = first.get_by_test_id("qr-replaced")
    expect(replaced).to_be_visible(timeout=10_000)
    expect(replaced).to_contain_text("vervangen door een nieuwere in een ander tabblad")
    expect(first.get_by_test_id("pairing-qr")).to_be_hidden()
    expect(second.get_by_test_id("qr-replaced")).to_be_hidden()
    shots.take(first, "computer-qr-replaced")
    assert_accessible(first, "qr replaced")

    # a new code in the first tab: now the second one says so
    first.get_by_test_id("qr-here").click()
    expect(first.get_by_test_id("pairing-qr")).to_be_visible()
    expect(second.get_by_test_id("qr-replaced")).to_be_visible(timeout=10_000)
    first.set_viewport_size({"width": 390, "height": 844})
    second.set_viewport_size({"width": 390, "height": 844})
    shots.take(second, "computer-qr-replaced-narrow")
