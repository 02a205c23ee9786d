"""The partner as the seed says, in a real browser (issue 15, points 2 and 3): the checklist's warning, a
declared partner asked for although the data name none, back from the review to the sources, going on when the
partner cannot log in (the reason reaches the provider's package), and a consent that names the person."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e import flows
from tests.e2e.screens import Shots, assert_accessible
from tests.e2e.stack import Stack

SINGLE = "single-renter-low-wage"  # one person: the government data name no partner


def _start_on_phone(stack: Stack, phone: Page, reference: str, partner_expected: bool) -> str:
    with stack.provider() as provider:
        created = provider.create_session(reference=reference, partner_expected=partner_expected)
    phone.goto(created.citizen_url)
    if not re.search(r"/app/sources$", phone.url):  # a start that still passes the computer's pages
        phone.goto(f"{stack.broker_url}/c/install")
        phone.get_by_test_id("phone-start").first.click()
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    return created.id


def test_the_checklist_warns_that_the_partner_must_be_there_with_digid_and_sms(
    stack: Stack, desktop: Page, shots: Shots
) -> None:
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-partner-checklist")
    desktop.goto(created.citizen_url)
    desktop.goto(f"{stack.broker_url}/c/checklist")
    warning = desktop.get_by_test_id("partner-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("nu bij u zijn")
    expect(warning).to_contain_text("sms-controle")
    shots.take(desktop, "computer-checklist-partner")
    assert_accessible(desktop, "checklist with partner warning")
    desktop.get_by_role("link", name="English").first.click()
    expect(desktop.get_by_test_id("partner-warning")).to_contain_text("SMS check")


def test_a_declared_partner_is_asked_for_and_can_be_left_out_with_a_reason(
    stack: Stack, phone: Page, shots: Shots
) -> None:
    persona = stack.personas[SINGLE]
    session_id = _start_on_phone(stack, phone, "e2e-partner-declared", partner_expected=True)
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    flows.fetch_all(phone)
    phone.get_by_test_id("next").click()

    # the data name no partner, but the applicant declared one: the app asks for them
    expect(phone.get_by_role("heading", level=1)).to_have_text("Gegevens van uw partner ophalen")
    expect(phone.get_by_test_id("partner-skip")).to_have_count(0)  # expected: only with a reason
    absent = phone.get_by_test_id("partner-absent")
    absent.locator("summary").click()
    phone.get_by_test_id("absent-no_sms_check").check()
    shots.take(phone, "phone-partner-absent")
    assert_accessible(phone, "partner cannot log in")
    phone.get_by_test_id("partner-absent-continue").click()

    expect(phone).to_have_url(re.compile(r"/app/review$"))
    expect(phone.get_by_test_id("partner-absent-note")).to_contain_text("geen sms-controle")
    statement = phone.locator("#statement-applicant")
    expect(statement).to_have_text(re.compile(r"^Ik, ([A-Z][a-z]?\.)+ \S.*, geef "))
    shots.take(phone, "phone-review-without-partner")

    # back to the sources: the partner step again, where the partner may still log in; then forward again
    phone.get_by_test_id("back-to-sources").click()
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    expect(phone.get_by_test_id("partner-absent")).to_be_visible()
    shots.take(phone, "phone-back-to-partner-step")
    phone.get_by_test_id("partner-absent").locator("summary").click()
    phone.get_by_test_id("absent-no_digid").check()
    phone.get_by_test_id("partner-absent-continue").click()
    expect(phone).to_have_url(re.compile(r"/app/review$"))

    phone.get_by_test_id("consent-applicant").check()
    phone.get_by_test_id("consent").click()
    expect(phone).to_have_url(re.compile(r"/app/done$"))

    with stack.provider() as provider:
        package = provider.fetch_package(session_id)
    assert [subject.role for subject in package.subjects] == ["applicant"]
    assert package.partner_absent is not None
    assert package.partner_absent.reason == "no_digid"  # the latest choice, not the first
    applicant = package.subjects[0].person
    assert applicant is not None
    assert package.consents[0].statement.startswith("Ik, ")
    assert f"{applicant.name.surname}, geef " in package.consents[0].statement


def test_back_from_the_review_to_the_applicants_sources_and_forward_again(
    stack: Stack, phone: Page, shots: Shots
) -> None:
    persona = stack.personas[SINGLE]
    _start_on_phone(stack, phone, "e2e-partner-back", partner_expected=False)
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    flows.fetch_all(phone)
    phone.get_by_test_id("next").click()
    expect(phone).to_have_url(re.compile(r"/app/review$"))
    assert_accessible(phone, "review with back button")

    phone.get_by_test_id("back-to-sources").click()
    expect(phone).to_have_url(re.compile(r"/app/sources$"))
    expect(phone.get_by_role("heading", level=1)).not_to_have_text("Gegevens van uw partner ophalen")
    for item in phone.locator("li[data-source]").all():
        status = item.get_attribute("data-status")
        assert status in ("done", "skipped"), "nothing collected is lost going back"
    shots.take(phone, "phone-back-to-sources")
    phone.get_by_test_id("next").click()
    expect(phone).to_have_url(re.compile(r"/app/review$"))
    expect(phone.get_by_test_id("consent-applicant")).to_be_visible()


def test_a_partner_only_the_data_name_may_simply_be_skipped(stack: Stack, phone: Page, shots: Shots) -> None:
    persona = stack.personas["couple-both-employed"]
    _start_on_phone(stack, phone, "e2e-partner-skip", partner_expected=False)
    flows.digid_login(phone, stack.sandbox_url, persona.applicant)
    flows.fetch_all(phone)
    phone.get_by_test_id("next").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Gegevens van uw partner ophalen")
    shots.take(phone, "phone-partner-step-optional")
    assert_accessible(phone, "optional partner step")
    phone.get_by_test_id("partner-skip").click()
    expect(phone).to_have_url(re.compile(r"/app/review$"))
    expect(phone.get_by_test_id("partner-absent-note")).to_contain_text("Partner overgeslagen")
    expect(phone.get_by_test_id("consent-partner")).to_have_count(0)
