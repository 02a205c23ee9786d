"""The review a person reads in a minute (issue 15, point 1), measured on a 390×844 phone for the couple:
groups closed by default and short, each group open on its own still short; no codes, booleans or "(nen)";
Dutch amounts and dates; the official terms explained where they appear; the same in English."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e import flows
from tests.e2e.screens import Shots, assert_accessible
from tests.e2e.stack import Stack

COUPLE = "couple-both-employed"
GROUPS = ("personen", "inkomens", "pensioenen", "bezittingen")
CLOSED_MAX_PX = 3_300  # issue 17 added the purpose and what the provider commits to (~650 px on a phone)
GROUP_OPEN_MAX_PX = 4_700  # the same ~650 px of issue 17
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
NOT_FOR_PEOPLE = ("True", "False", "None", "(nen)", "(s)")


def _height(phone: Page) -> int:
    height: int = phone.evaluate("document.documentElement.scrollHeight")
    return height


def _all_text(phone: Page) -> str:
    """Everything in the page's main part, also what closed groups hide."""
    return phone.locator("main").text_content() or ""


def _assert_readable(text: str) -> None:
    for word in NOT_FOR_PEOPLE:
        assert word not in text, f"{word!r} on the review"
    assert RAW_CODE.findall(text) == [], "raw codes on the review"


def _to_review(stack: Stack, desktop: Page, phone: Page, camera_file: Path, shots: Shots) -> None:
    persona = stack.personas[COUPLE]
    assert persona.partner is not None
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-review")
    flows.open_invitation(desktop, created.citizen_url, shots, check=False)
    flows.scan_with_camera(phone, stack.broker_url, desktop, camera_file, shots)
    flows.confirm_code(phone, desktop, shots, check=False)
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    flows.fetch_all(phone)
    sources_text = phone.locator("main").text_content() or ""
    assert "(nen)" not in sources_text
    assert not re.search(r"(?<!\d)1 onderdelen", sources_text), "one item, in the singular"
    assert re.search(r"\d+ onderdelen|1 onderdeel", sources_text), "the sources page counts what it found"
    phone.get_by_test_id("next").click()
    expect(phone.get_by_test_id("digid-login")).to_be_visible()
    flows.digid_login(phone, stack.sandbox_url, persona.partner)
    flows.fetch_all(phone)
    phone.get_by_test_id("next").click()
    expect(phone).to_have_url(re.compile(r"/app/review$"))


def test_the_couples_review_is_short_plain_and_explained(
    stack: Stack, desktop: Page, phone: Page, camera_file: Path, shots: Shots
) -> None:
    _to_review(stack, desktop, phone, camera_file, shots)
    phone.set_viewport_size({"width": 390, "height": 844})

    # closed by default, each with its count, and short
    for group in GROUPS:
        details = phone.get_by_test_id(f"group-{group}")
        expect(details).not_to_have_attribute("open", "")
        expect(details.locator("xpath=./summary")).to_have_text(re.compile(r"\(\d+\)"))
    closed = _height(phone)
    assert closed <= CLOSED_MAX_PX, f"the closed review is {closed} px high"
    shots.take(phone, "review-closed")
    assert_accessible(phone, "review (closed)")

    text = _all_text(phone)
    _assert_readable(text)
    assert re.search(r"€ \d{1,3}(\.\d{3})*,\d{2}", text), "amounts in Dutch"
    assert re.search(r"\b\d{2}-\d{2}-\d{4}\b", text), "dates in Dutch"
    for source in ("Bron: MijnOverheid", "Bron: UWV", "Bron: Belastingdienst", "Bron: Mijnpensioenoverzicht"):
        assert source in text

    # each group opened on its own (with the keyboard) stays short
    for group in GROUPS:
        summary = phone.get_by_test_id(f"group-{group}").locator("xpath=./summary")
        summary.focus()
        phone.keyboard.press("Enter")
        expect(phone.get_by_test_id(f"group-{group}")).to_have_attribute("open", "")
        opened = _height(phone)
        assert opened <= GROUP_OPEN_MAX_PX, f"the review with {group} open is {opened} px high"
        shots.take(phone, f"review-{group}-open")
        summary.click()
        expect(phone.get_by_test_id(f"group-{group}")).not_to_have_attribute("open", "")

    # an employer: one line with period, average wage and hours; the recent months behind one more tap
    phone.get_by_test_id("group-inkomens").locator("xpath=./summary").click()
    employer = phone.locator(".review-line[data-kind=income]").first
    expect(employer).to_contain_text(re.compile(r"Gemiddeld € [\d.]+,\d{2} SV-loon en \d+ uur per maand"))
    months = employer.locator("details.review-more")
    expect(months.locator("table")).to_be_hidden()
    months.locator("summary").click()
    expect(months.locator("tbody tr")).to_have_count(6)
    expect(months.locator("tbody tr").first).to_contain_text(re.compile(r"[a-z]+ \d{4}"))
    # the official term explained where it first appears, in words on the page (not a hover)
    term = employer.locator("details.term", has_text="SV-loon")
    term.locator("summary").click()
    expect(term).to_contain_text("premies")
    for word in ("verzamelinkomen", "toetsingsinkomen"):
        expect(
            phone.get_by_test_id("group-inkomens").locator("details.term summary", has_text=word)
        ).to_have_count(1)
    shots.take(phone, "review-inkomens-details")
    assert_accessible(phone, "review (incomes, months and a term open)")
    phone.get_by_test_id("group-bezittingen").locator("xpath=./summary").click()
    expect(phone.get_by_test_id("group-bezittingen")).to_contain_text("WOZ-waarde € ")

    # a wide screen shows the same page
    phone.set_viewport_size({"width": 1280, "height": 900})
    shots.take(phone, "review-desktop-width")
    phone.set_viewport_size({"width": 390, "height": 844})

    # in English: English words and amounts, no Dutch labels
    phone.goto(phone.url.split("?")[0] + "?lang=en")
    expect(phone.get_by_role("heading", level=1)).to_have_text(re.compile(r"[Cc]heck"))
    english = _all_text(phone)
    _assert_readable(english)
    assert "Tax year" in english
    assert "Belastingjaar" not in english
    assert "Source: UWV" in english
    assert re.search(r"€\d{1,3}(,\d{3})*\.\d{2}", english), "amounts in English"
    assert _height(phone) <= CLOSED_MAX_PX
    shots.take(phone, "review-english")
    assert_accessible(phone, "review (English)")
    phone.goto(phone.url.split("?")[0] + "?lang=nl")
