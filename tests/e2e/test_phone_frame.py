"""The app's own frame in a real browser (issue 15, points 4–6): the invitation opened on a phone starts the
app without a QR code, the three phases at the top of every app page, the upload offer only where a source
is not done, a receipt that stays after the provider collected the package (and its PDF), the way back to
the provider's own page for this application, and a header that holds at 320 px and 200% zoom."""

from __future__ import annotations

import re

import httpx
import pypdfium2 as pdfium
from playwright.sync_api import Browser, Page, Playwright, expect

from databrug.robot.journey import Login
from tests.e2e import flows
from tests.e2e.screens import Shots, assert_accessible, phone_options
from tests.e2e.stack import Stack

SINGLE = "single-renter-low-wage"
NO_QR = re.compile(r"\bQR\b", re.IGNORECASE)


def _phase(page: Page, current: str) -> None:
    """The three phases are shown, in order, with only ``current`` marked as the step the person is on."""
    phases = page.get_by_test_id("phases")
    expect(phases).to_be_visible()
    expect(phases.locator("li")).to_have_text(["Ophalen", "Bekijken", "Verzenden"])
    expect(phases.locator("li[aria-current=step]")).to_have_count(1)
    expect(phases.locator("li[aria-current=step]")).to_have_attribute("data-phase", current)


def _no_qr_wording(page: Page) -> None:
    assert not NO_QR.search(page.locator("body").inner_text()), f"QR wording on {page.url}"


def _at_digid_log_in(phone: Page, stack: Stack, login: Login) -> None:
    """On the DigiD page already (the phone start's button leads there): password, then the SMS code."""
    expect(phone.locator("#username")).to_be_visible()
    phone.locator("#username").fill(login.username)
    phone.locator("#password").fill(login.password)
    phone.get_by_role("button", name="Inloggen").click()
    if login.sms_enabled:
        sms = httpx.get(f"{stack.sandbox_url}/digid/api/sms", params={"username": login.username}, timeout=5)
        phone.locator("#code").fill(str(sms.json()["code"]))
        phone.get_by_role("button", name="Controleren").click()


def test_phone_only_start_phases_and_a_receipt_that_stays(stack: Stack, phone: Page, shots: Shots) -> None:
    persona = stack.personas[SINGLE]
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-frame/1")
    # the invitation on a phone (Pixel 7: a mobile User-Agent and Sec-CH-UA-Mobile ?1) is the app's start
    phone.goto(created.citizen_url)
    expect(phone).to_have_url(re.compile(r"/c/phone$"))
    _phase(phone, "fetch")
    _no_qr_wording(phone)
    # the checklist is skipped on a phone: its partner warning is on the start (this provider may want one)
    expect(phone.get_by_test_id("partner-warning")).to_be_visible()
    shots.take(phone, "phone-start")
    assert_accessible(phone, "phone start")
    # a wrong guess still has its way: the computer's pages, and back
    phone.get_by_test_id("use-computer").click()
    expect(phone).to_have_url(re.compile(r"/c/info$"))
    phone.go_back()
    phone.get_by_test_id("phone-start").click()  # pairs this phone and goes straight to DigiD
    _at_digid_log_in(phone, stack, persona.applicant)
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    _phase(phone, "fetch")
    _no_qr_wording(phone)
    expect(phone.locator("details.upload")).not_to_have_count(0)  # not fetched yet: the upload is offered
    flows.fetch_all(phone)
    done_sources = phone.locator("li[data-source][data-status=done]")
    expect(done_sources).not_to_have_count(0)
    expect(done_sources.locator("details.upload")).to_have_count(0)
    shots.take(phone, "phone-sources-done")
    assert_accessible(phone, "sources done")
    phone.get_by_test_id("next").click()
    expect(phone).to_have_url(re.compile(r"/app/review$"))
    _phase(phone, "review")
    phone.get_by_test_id("consent-applicant").check()
    phone.get_by_test_id("consent").click()
    expect(phone).to_have_url(re.compile(r"/app/done$"))
    _phase(phone, "send")
    _no_qr_wording(phone)
    expect(phone.get_by_text("computer")).to_have_count(0)  # phone wording to the end

    # the receipt right after sending: to whom, when, per group with counts; the deletion not yet
    receipt = phone.get_by_test_id("receipt-page")
    expect(receipt).to_contain_text("Woonstichting")
    counts = phone.get_by_test_id("receipt-applicant").locator("li")
    expect(counts).to_have_count(4)
    expect(counts.first).to_contain_text("Personen")
    expect(phone.get_by_test_id("deletion-pending")).to_be_visible()
    expect(phone.get_by_test_id("return")).to_have_attribute("href", re.compile(r"\?case=e2e-frame%2F1$"))
    shots.take(phone, "phone-receipt-sent")
    assert_accessible(phone, "receipt (sent)")

    with stack.provider() as provider:
        provider.fetch_package(created.id)
        provider.acknowledge(created.id)
    # the provider collected the package: the receipt is still there, now with the signed deletion receipt
    phone.reload()
    expect(phone.get_by_test_id("receipt-page")).to_be_visible()
    expect(phone.get_by_test_id("deletion-receipt")).to_contain_text("gewist op")
    expect(phone.get_by_test_id("receipt-applicant").locator("li")).to_have_count(4)
    phone.get_by_test_id("deletion-receipt").locator("summary").click()
    shots.take(phone, "phone-receipt-acknowledged")
    assert_accessible(phone, "receipt (acknowledged)")
    with phone.expect_download() as download_info:
        phone.get_by_test_id("receipt").click()
    download = download_info.value
    assert download.suggested_filename == "databrug-ontvangstbewijs.pdf"
    pdf = pdfium.PdfDocument(download.path())
    text = pdf[0].get_textpage().get_text_range()
    assert "Woonstichting" in text, text
    assert "Databrug heeft het gewist op" in text, text
    deletion = phone.request.get(f"{stack.broker_url}/app/receipt?format=deletion")
    assert deletion.ok
    assert deletion.text().count(".") == 2


def test_on_a_computer_the_phone_only_choice_is_no_main_button(
    stack: Stack, desktop: Page, shots: Shots
) -> None:
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-frame-desktop")
    desktop.goto(created.citizen_url)
    expect(desktop).to_have_url(re.compile(r"/c/info$"))  # a computer keeps the QR path
    desktop.goto(f"{stack.broker_url}/c/install")
    expect(desktop.get_by_test_id("have-app")).to_have_class(re.compile(r"\bbutton\b"))
    expect(desktop.get_by_test_id("phone-start")).to_have_count(0)
    link = desktop.get_by_test_id("phone-start-link")
    expect(link).to_have_class("link")
    shots.take(desktop, "computer-install")
    assert_accessible(desktop, "install on a computer")


def test_the_header_holds_at_320_px_and_200_percent_zoom(
    stack: Stack, phone_browser: Browser, playwright: Playwright, shots: Shots
) -> None:
    """320 CSS px (WCAG's reflow width), and 320 px at 200% zoom: 160 CSS px across."""
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-frame-narrow")
    for width in (320, 160):
        context = phone_browser.new_context(
            **{**phone_options(playwright), "viewport": {"width": width, "height": 700}}
        )
        try:
            page = context.new_page()
            page.goto(created.citizen_url)
            expect(page).to_have_url(re.compile(r"/c/phone$"))
            for element in (".site-header", "html"):
                sizes = page.eval_on_selector(element, "e => [e.scrollWidth, e.clientWidth]")
                assert sizes[0] <= sizes[1], f"{element} overflows at {width} px: {sizes}"
            box = page.locator(".brand-name").bounding_box()
            assert box is not None
            assert box["width"] <= width
            shots.take(page, f"phone-header-{width}")
        finally:
            context.close()
