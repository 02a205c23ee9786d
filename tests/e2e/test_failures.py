"""Every failure has its own screen with a clear next step, and each such screen passes axe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from databrug_sandbox.documents.mpo import render_pensioenoverzicht
from databrug_sandbox.faults import FaultSettings
from databrug_sandbox.server import catalogue_households
from tests.e2e import flows
from tests.e2e.screens import TIMEOUT_MS, Shots, assert_accessible, phone_options
from tests.e2e.stack import OPTIONAL_SOURCE, Stack

SINGLE = "single-renter-low-wage"
COUPLE = "couple-both-employed"
COUPLE = "couple-both-employed"
NO_SMS = "no-sms-check"


def _start_on_phone(stack: Stack, phone: Page, reference: str) -> str:
    """The quickest way into the app for tests about later screens: the phone-only path."""
    with stack.provider() as provider:
        created = provider.create_session(reference=reference)
    phone.goto(created.citizen_url)
    phone.goto(f"{stack.broker_url}/c/install")
    phone.get_by_test_id("phone-start").click()
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    return created.id


def _error_screen(page: Page, code: str, shots: Shots, name: str) -> None:
    box = page.get_by_test_id("error")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("data-code", code)
    expect(page.get_by_test_id("next-step")).not_to_be_empty()
    shots.take(page, name)
    assert_accessible(page, name)


@pytest.fixture
def faults(stack: Stack) -> Iterator[Stack]:
    yield stack
    stack.sandbox.faults.clear()


def test_source_down_retry_skip_and_upload(faults: Stack, phone: Page, shots: Shots, tmp_path: Path) -> None:
    stack = faults
    persona = stack.personas[SINGLE]
    _start_on_phone(stack, phone, "e2e-source-down")
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    stack.sandbox.faults.set("uwv", FaultSettings(maintenance=True, retry_after_seconds=0))
    stack.sandbox.faults.set(OPTIONAL_SOURCE, FaultSettings(maintenance=True, retry_after_seconds=0))
    phone.get_by_test_id("fetch-all").click()

    uwv = phone.locator("li[data-source=uwv]")
    expect(uwv).to_have_attribute("data-status", "failed", timeout=20_000)
    expect(phone.get_by_test_id("error-uwv")).to_have_attribute("data-code", "source_maintenance")
    expect(phone.get_by_test_id("sources-failed")).to_be_visible()
    expect(phone.get_by_test_id("skip-uwv")).to_have_count(0)  # required: retry or upload, no skipping
    expect(phone.get_by_test_id(f"skip-{OPTIONAL_SOURCE}")).to_be_visible()  # optional: may go without
    expect(phone.get_by_test_id("next")).to_have_count(0)
    shots.take(phone, "phone-source-down")
    assert_accessible(phone, "source down")

    # the source is back: retry just that one
    stack.sandbox.faults.clear("uwv")
    phone.get_by_test_id("fetch-uwv").click()
    expect(uwv).to_have_attribute("data-status", "done", timeout=20_000)

    # the optional source stays down: upload the document downloaded by hand, same parser, marked uploaded
    household = next(h for h in catalogue_households() if h.key == SINGLE)
    document = tmp_path / "pensioenoverzicht.xml"
    document.write_bytes(render_pensioenoverzicht(household.applicant, "xml"))
    phone.locator(f"li[data-source={OPTIONAL_SOURCE}] details.upload summary").click()
    # first a file over the 4 MiB cap: back at that source with the refusal shown there, nothing kept
    too_large = tmp_path / "scan.pdf"
    too_large.write_bytes(b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024))
    phone.get_by_test_id(f"file-{OPTIONAL_SOURCE}").set_input_files(str(too_large))
    phone.get_by_test_id(f"upload-{OPTIONAL_SOURCE}").click()
    expect(phone.get_by_test_id("upload-error")).to_contain_text("Te groot")
    expect(phone.locator(f"li[data-source={OPTIONAL_SOURCE}] details.upload")).to_have_attribute("open", "")
    expect(phone.locator(f"li[data-source={OPTIONAL_SOURCE}]")).not_to_have_attribute("data-status", "done")
    shots.take(phone, "phone-upload-too-large")
    assert_accessible(phone, "upload too large")
    # then another person's pension overview: refused at that source as not this person's, nothing kept
    someone_else = next(h for h in catalogue_households() if h.key == COUPLE)
    foreign = tmp_path / "pensioenoverzicht-ander.xml"
    foreign.write_bytes(render_pensioenoverzicht(someone_else.applicant, "xml"))
    phone.get_by_test_id(f"file-{OPTIONAL_SOURCE}").set_input_files(str(foreign))
    phone.get_by_test_id(f"upload-{OPTIONAL_SOURCE}").click()
    expect(phone.get_by_test_id("upload-error")).to_have_attribute("data-code", "document_of_another_person")
    expect(phone.locator(f"li[data-source={OPTIONAL_SOURCE}]")).not_to_have_attribute("data-status", "done")
    shots.take(phone, "phone-upload-another-person")
    assert_accessible(phone, "upload of another person's document")
    phone.get_by_test_id(f"file-{OPTIONAL_SOURCE}").set_input_files(str(document))
    phone.get_by_test_id(f"upload-{OPTIONAL_SOURCE}").click()
    item = phone.locator(f"li[data-source={OPTIONAL_SOURCE}]")
    expect(item).to_have_attribute("data-status", "done")
    expect(phone.get_by_test_id(f"status-{OPTIONAL_SOURCE}")).to_contain_text("geüpload")
    shots.take(phone, "phone-uploaded")
    expect(phone.get_by_test_id("next")).to_be_visible()


def test_optional_source_can_be_skipped(faults: Stack, phone: Page, shots: Shots) -> None:
    stack = faults
    persona = stack.personas[SINGLE]
    session_id = _start_on_phone(stack, phone, "e2e-skip")
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    stack.sandbox.faults.set(OPTIONAL_SOURCE, FaultSettings(error_rate=1.0))
    phone.get_by_test_id("fetch-all").click()
    expect(phone.locator(f"li[data-source={OPTIONAL_SOURCE}]")).to_have_attribute(
        "data-status", "failed", timeout=20_000
    )
    expect(phone.get_by_test_id(f"error-{OPTIONAL_SOURCE}")).to_have_attribute(
        "data-code", "source_unavailable"
    )
    phone.get_by_test_id(f"skip-{OPTIONAL_SOURCE}").click()
    expect(phone.get_by_test_id(f"status-{OPTIONAL_SOURCE}")).to_contain_text("Overgeslagen")
    phone.get_by_test_id("next").click()
    flows.review_and_consent(phone, ["applicant"], shots, check=False)
    with stack.provider() as provider:
        package = provider.fetch_package(session_id)
    assert OPTIONAL_SOURCE not in {entry.source for entry in package.sources}


def test_digid_cancelled(stack: Stack, phone: Page, shots: Shots) -> None:
    _start_on_phone(stack, phone, "e2e-digid-cancel")
    phone.get_by_test_id("digid-login").click()
    phone.get_by_role("button", name="Annuleren").click()
    _error_screen(phone, "digid_cancelled", shots, "digid-cancelled")
    phone.get_by_test_id("next-action").click()
    expect(phone.get_by_test_id("digid-login")).to_be_visible()


def test_digid_without_sms_check(stack: Stack, phone: Page, shots: Shots) -> None:
    persona = stack.personas[NO_SMS]
    _start_on_phone(stack, phone, "e2e-no-sms")
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    phone.get_by_role("button", name=re.compile("^Terug naar")).click()
    _error_screen(phone, "digid_loa_too_low", shots, "digid-no-sms")
    expect(phone.get_by_test_id("help-link")).to_have_attribute("href", re.compile("digid.nl"))
    phone.get_by_test_id("lang-en").click()  # the same screen in English: the error stays on screen
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_test_id("error")).to_have_attribute("data-code", "digid_loa_too_low")
    assert_accessible(phone, "no SMS check (English)")


def test_partner_mismatch(stack: Stack, phone: Page, shots: Shots) -> None:
    persona = stack.personas[COUPLE]
    _start_on_phone(stack, phone, "e2e-partner-mismatch")
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    flows.fetch_all(phone)
    phone.get_by_test_id("next").click()
    expect(phone.get_by_test_id("digid-login")).to_be_visible()
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)  # not the partner: the applicant again
    _error_screen(phone, "partner_mismatch", shots, "partner-mismatch")
    phone.get_by_test_id("next-action").click()
    expect(phone.get_by_test_id("digid-login")).to_be_visible()  # the partner can still log in


def test_session_cancelled(stack: Stack, phone: Page, shots: Shots) -> None:
    session_id = _start_on_phone(stack, phone, "e2e-cancelled")
    with stack.provider() as provider:
        provider.cancel(session_id)
    phone.reload()
    _error_screen(phone, "session_cancelled", shots, "session-cancelled")


def test_session_expired(stack: Stack, desktop: Page, phone: Page, shots: Shots) -> None:
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-expired")
    desktop.goto(created.citizen_url)
    phone.goto(created.citizen_url)
    phone.goto(f"{stack.broker_url}/c/install")
    phone.get_by_test_id("phone-start").click()
    expect(phone.get_by_test_id("digid-login")).to_be_visible()
    stack.expire_open_sessions()
    phone.reload()
    _error_screen(phone, "session_expired", shots, "session-expired")
    desktop.goto(f"{stack.broker_url}/c/progress")
    expect(desktop.get_by_test_id("finished")).to_be_visible()
    expect(desktop.get_by_test_id("return")).to_be_visible()  # the way back to the provider
    shots.take(desktop, "computer-expired")
    assert_accessible(desktop, "computer: session expired")


def test_qr_already_used_and_wrong_code(
    stack: Stack,
    desktop: Page,
    phone: Page,
    phone_browser: Browser,
    playwright: Playwright,
    camera_file: Path,
    shots: Shots,
) -> None:
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-qr-used")
    flows.open_invitation(desktop, created.citizen_url, shots, check=False)
    flows.scan_with_camera(phone, stack.broker_url, desktop, camera_file, shots)

    # a second phone sees the same QR code (still in front of the camera): it is already used
    other = phone_browser.new_context(**phone_options(playwright), permissions=["camera"])
    other.set_default_timeout(TIMEOUT_MS)
    try:
        second = other.new_page()
        second.goto(f"{stack.broker_url}/app/")
        second.get_by_test_id("start-camera").click()
        expect(second.get_by_test_id("error")).to_be_visible(timeout=20_000)
        _error_screen(second, "pairing_token_used", shots, "qr-already-used")
    finally:
        other.close()

    # on the computer, a wrong code is refused with its own message; the right one still works
    expect(desktop.locator("#code")).to_be_visible(timeout=10_000)
    desktop.locator("#code").fill(
        "000000" if phone.get_by_test_id("pairing-code").inner_text() != "000 000" else "1"
    )
    desktop.get_by_test_id("confirm").click()
    expect(desktop.locator("#code-error")).to_be_visible()
    expect(desktop.locator("#code")).to_have_attribute("aria-invalid", "true")
    shots.take(desktop, "computer-wrong-code")
    assert_accessible(desktop, "wrong code")
    flows.confirm_code(phone, desktop, shots, check=False)


def test_typed_link_code_with_polling_instead_of_events(
    stack: Stack, desktop: Page, phone: Page, shots: Shots
) -> None:
    """Without a working camera the person types the short code shown under the QR code. This computer's
    browser has no server-sent events, so its page follows the phone by polling."""
    desktop.context.add_init_script("delete window.EventSource;")
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-typed")
    flows.open_invitation(desktop, created.citizen_url, shots, check=False)
    assert desktop.evaluate("() => typeof window.EventSource") == "undefined"
    short = desktop.get_by_test_id("pairing-token").inner_text()  # what a person reads off the screen
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", short)
    phone.goto(f"{stack.broker_url}/app/")
    phone.locator("#pair-code").fill(short.lower().replace("-", " "))
    phone.get_by_test_id("typed-submit").click()
    expect(phone).to_have_url(re.compile(r"/app/pairing$"))
    flows.confirm_code(phone, desktop, shots, check=False)


def test_camera_not_allowed(
    stack: Stack, phone_browser: Browser, playwright: Playwright, shots: Shots
) -> None:
    context = phone_browser.new_context(**phone_options(playwright))
    context.set_default_timeout(TIMEOUT_MS)
    # as when the person taps "block" on the browser's camera question
    context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => "
        "Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    try:
        page = context.new_page()
        page.goto(f"{stack.broker_url}/app/")
        page.get_by_test_id("start-camera").click()
        denied = page.get_by_test_id("camera-denied")
        expect(denied).to_be_visible()
        expect(denied).to_be_focused()
        expect(page.locator("#pair-code")).to_be_visible()  # the typed code is the way forward
        shots.take(page, "camera-denied")
        assert_accessible(page, "camera denied")
    finally:
        context.close()


def test_no_camera(stack: Stack, desktop_browser: Browser, playwright: Playwright, shots: Shots) -> None:
    """A browser without any camera device (the computer's Chromium, in a phone-sized window)."""
    context = desktop_browser.new_context(**phone_options(playwright))
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{stack.broker_url}/app/")
        page.get_by_test_id("start-camera").click()
        # Chromium without a camera answers "not found" or, headless, "not allowed": either has its screen
        shown = page.locator("#camera-missing:not([hidden]), #camera-denied:not([hidden])")
        expect(shown).to_have_count(1)
        expect(shown).to_be_visible()
        shots.take(page, "camera-missing")
        assert_accessible(page, "no camera")
    finally:
        context.close()


def test_qr_code_renews_before_it_expires(stack: Stack, desktop: Page, phone: Page, shots: Shots) -> None:
    """The QR page renews its code by itself; the code it replaced no longer links a phone."""
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-renew")
    desktop.clock.install()
    flows.open_invitation(desktop, created.citizen_url, shots, check=False)
    old_code = desktop.get_by_test_id("pairing-token").inner_text()
    renew_after = int(desktop.get_by_test_id("live").get_attribute("data-renew-after") or "0")
    assert 0 < renew_after < stack.broker.settings.pairing_ttl_seconds
    desktop.clock.fast_forward(renew_after * 1000 + 500)
    expect(desktop.get_by_test_id("pairing-token")).not_to_have_text(old_code)

    phone.goto(f"{stack.broker_url}/app/")
    phone.locator("#pair-code").fill(old_code)
    phone.get_by_test_id("typed-submit").click()
    _error_screen(phone, "pairing_token_invalid", shots, "old-code")
    phone.get_by_test_id("next-action").click()
    expect(phone.locator("#pair-code")).to_be_visible()  # back to scanning, or typing the new code
