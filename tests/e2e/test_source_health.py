"""A portal down for one citizen is shown down to the next before they tap, upload open, on a 390x844 phone;
the screen passes axe."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from databrug_sandbox.faults import FaultSettings
from tests.e2e import flows
from tests.e2e.screens import TIMEOUT_MS, Shots, assert_accessible, phone_options
from tests.e2e.stack import Stack

SINGLE = "single-renter-low-wage"
SMALL_PHONE = {"width": 390, "height": 844}


@pytest.fixture
def two_phones(phone_browser: Browser, playwright: Playwright) -> Iterator[tuple[Page, Page]]:
    contexts = [
        phone_browser.new_context(**{**phone_options(playwright), "viewport": SMALL_PHONE}) for _ in range(2)
    ]
    for context in contexts:
        context.set_default_timeout(TIMEOUT_MS)
    yield contexts[0].new_page(), contexts[1].new_page()
    for context in contexts:
        context.close()


def _at_sources(stack: Stack, phone: Page, reference: str) -> None:
    with stack.provider() as provider:
        created = provider.create_session(reference=reference)
    phone.goto(created.citizen_url)
    phone.goto(f"{stack.broker_url}/c/install")
    phone.get_by_test_id("phone-start").click()
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    flows.digid_login(phone, stack.sandbox_url, stack.personas[SINGLE].applicant)
    expect(phone.get_by_test_id("fetch-all")).to_be_visible()


def test_a_source_down_is_shown_before_the_tap_with_the_upload_open(
    stack: Stack, two_phones: tuple[Page, Page], shots: Shots
) -> None:
    first, second = two_phones
    try:
        _at_sources(stack, first, "e2e-health-first")
        stack.sandbox.faults.set("uwv", FaultSettings(maintenance=True, retry_after_seconds=600))
        first.get_by_test_id("fetch-uwv").click()
        expect(first.locator("li[data-source=uwv]")).to_have_attribute(
            "data-status", "failed", timeout=20_000
        )

        _at_sources(stack, second, "e2e-health-second")
        notice = second.get_by_test_id("health-uwv")
        expect(notice).to_have_attribute("data-health", "down")
        expect(notice).to_contain_text("Storing")
        expect(second.locator("li[data-source=uwv]")).to_have_attribute("data-status", "waiting")
        expect(second.get_by_test_id("upload-offer-uwv")).to_have_attribute("open", "")
        expect(second.get_by_test_id("file-uwv")).to_be_visible()
        expect(second.get_by_test_id("health-belastingdienst")).to_have_count(0)
        notice.scroll_into_view_if_needed()
        shots.take(second, "phone-source-health-down")
        assert_accessible(second, "source down before the tap")
    finally:
        # The portal is back; one success ends "down" for the rest of the suite's shared broker.
        stack.sandbox.faults.clear()
        if second.get_by_test_id("fetch-uwv").count():
            second.get_by_test_id("fetch-uwv").click()
    expect(second.locator("li[data-source=uwv]")).to_have_attribute("data-status", "done", timeout=20_000)
    expect(second.get_by_test_id("health-uwv")).to_have_count(0)
