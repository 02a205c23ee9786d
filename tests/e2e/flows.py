"""Steps a person takes, as the screens tell them: shared by the journey and failure tests.

Each step clicks what a person would click (buttons and links by their visible role or test id) and checks
that the next screen is the one the person expects.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from databrug.robot.journey import Login
from tests.e2e.screens import Shots, assert_accessible, show_qr_to_camera


def open_invitation(desktop: Page, citizen_url: str, shots: Shots, check: bool = True) -> None:
    """Computer: invitation link → info → checklist → install step → QR page."""
    desktop.goto(citizen_url)
    expect(desktop).to_have_url(re.compile(r"/c/info$"))
    expect(desktop.locator("html")).to_have_attribute("lang", "nl")
    shots.take(desktop, "computer-info")
    if check:
        assert_accessible(desktop, "info")
    desktop.get_by_test_id("start").click()
    expect(desktop).to_have_url(re.compile(r"/c/checklist$"))
    shots.take(desktop, "computer-checklist")
    if check:
        assert_accessible(desktop, "checklist")
    desktop.get_by_test_id("next").click()
    expect(desktop).to_have_url(re.compile(r"/c/install$"))
    shots.take(desktop, "computer-install")
    if check:
        assert_accessible(desktop, "install")
    desktop.get_by_test_id("have-app").click()
    expect(desktop).to_have_url(re.compile(r"/c/qr$"))
    expect(desktop.get_by_test_id("pairing-qr")).to_be_visible()
    shots.take(desktop, "computer-qr")
    if check:
        assert_accessible(desktop, "qr")


def scan_with_camera(phone: Page, broker_url: str, desktop: Page, camera: Path, shots: Shots) -> None:
    """Phone: open the app, start the camera; the camera sees the computer's QR code."""
    show_qr_to_camera(desktop, camera, shots.folder / "camera-qr.png")
    phone.goto(f"{broker_url}/app/")
    expect(phone.get_by_test_id("start-camera")).to_be_visible()
    shots.take(phone, "phone-app-start")
    phone.get_by_test_id("start-camera").click()
    scanned = re.compile(r"/app/(pairing|pair)$")
    try:
        expect(phone).to_have_url(scanned, timeout=15_000)
    except AssertionError:
        # as a person would: reload the computer page for a fresh code and start the camera again
        desktop.reload()
        show_qr_to_camera(desktop, camera, shots.folder / "camera-qr-second.png")
        phone.reload()
        phone.get_by_test_id("start-camera").click()
        expect(phone).to_have_url(scanned, timeout=15_000)
    expect(phone).to_have_url(re.compile(r"/app/pairing$"))


def confirm_code(phone: Page, desktop: Page, shots: Shots, check: bool = True) -> None:
    """The phone shows a code; the computer (which noticed the scan by itself) asks for it."""
    code = phone.get_by_test_id("pairing-code").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{6}", code)
    shots.take(phone, "phone-code")
    if check:
        assert_accessible(phone, "phone code")
    # no reload by the test: the computer page follows the phone through its live updates
    expect(desktop.locator("#code")).to_be_visible(timeout=10_000)
    shots.take(desktop, "computer-confirm")
    if check:
        assert_accessible(desktop, "confirm")
    desktop.locator("#code").fill(code)
    desktop.get_by_test_id("confirm").click()
    expect(desktop).to_have_url(re.compile(r"/c/progress$"))
    # the phone's code page checks every few seconds and moves on by itself
    expect(phone).to_have_url(re.compile(r"/app/sources$"), timeout=10_000)


def digid_login(phone: Page, sandbox_url: str, login: Login, shots: Shots | None = None) -> None:
    """Phone: DigiD hand-off to the (sandbox) IdP with password and SMS code, and back to the app."""
    phone.get_by_test_id("digid-login").click()
    expect(phone.locator("#username")).to_be_visible()
    if shots:
        shots.take(phone, "digid-login")
    phone.locator("#username").fill(login.username)
    phone.locator("#password").fill(login.password)
    phone.get_by_role("button", name="Inloggen").click()
    if login.sms_enabled:
        expect(phone.locator("#code")).to_be_visible()
        sms = httpx.get(f"{sandbox_url}/digid/api/sms", params={"username": login.username}, timeout=5).json()
        phone.locator("#code").fill(str(sms["code"]))
        phone.get_by_role("button", name="Controleren").click()


def fetch_all(phone: Page) -> None:
    phone.get_by_test_id("fetch-all").click()
    expect(phone.get_by_test_id("next")).to_be_visible(timeout=20_000)


def fetch_one_by_one(phone: Page) -> None:
    sources = phone.locator("li[data-source]")
    # .all() does not wait: right after the DigiD hand-off the sources page may not have loaded yet
    expect(sources.first).to_be_visible()
    for item in sources.all():
        source = item.get_attribute("data-source")
        phone.get_by_test_id(f"fetch-{source}").click()
        expect(phone.locator(f"li[data-source={source}]")).to_have_attribute("data-status", "done")
    expect(phone.get_by_test_id("next")).to_be_visible()


def review_and_consent(phone: Page, roles: list[str], shots: Shots, check: bool = True) -> None:
    expect(phone).to_have_url(re.compile(r"/app/review$"))
    shots.take(phone, "phone-review")  # the four groups with their counts, closed
    for group in ("personen", "inkomens", "pensioenen", "bezittingen"):
        phone.get_by_test_id(f"group-{group}").locator("xpath=./summary").click()  # not a line's own
        expect(phone.get_by_test_id(f"group-{group}")).to_have_attribute("open", "")
    if check:
        assert_accessible(phone, "review (groups open)")
    for role in roles:
        phone.get_by_test_id(f"consent-{role}").check()
    phone.get_by_test_id("consent").click()
    expect(phone).to_have_url(re.compile(r"/app/done$"))
    expect(phone.get_by_test_id("done")).to_be_visible()
    shots.take(phone, "phone-done")
    if check:
        assert_accessible(phone, "done")
