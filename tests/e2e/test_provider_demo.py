"""The demo provider's own pages in a real browser (issue 15, point 8), on a computer and a 390×844 phone:
the municipality search (common names such as Den Haag and Den Bosch, Enter selects or says why not, the
typed text kept), and the back office after a couple's journey: Dutch words instead of codes, Dutch clock
times instead of UTC, each person's consent labelled with that person, and no originals (the gemeentepolis
template allows none); axe-clean throughout."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from databrug.provider_demo.services import DEMO_CASEWORKER
from databrug.provider_demo.storage.tables import Case
from databrug.robot.journey import Login
from databrug_sandbox.server import SandboxServer, SandboxSettings
from tests.e2e.conftest import DESKTOP
from tests.e2e.screens import TIMEOUT_MS, Shots, assert_accessible, phone_options
from tests.support.citizen_journey import complete_journey
from tests.support.provider_stack import ProviderStack, RunningProvider

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PHONE_VIEWPORT = {"width": 390, "height": 844}
# codes and English words that once showed on the Dutch back office (issue 15)
RAW_CODES = ("acknowledged", "delivered", "kindgebonden_budget", "guaranteed", "owner", "UTC")


@dataclass(frozen=True)
class Demo:
    provider: ProviderStack
    sandbox: SandboxServer


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    directory = tmp_path_factory.mktemp("provider-demo")
    with (
        SandboxServer(SandboxSettings(port=0)) as sandbox,
        RunningProvider(
            directory, sandbox.base_url, f"sqlite:///{directory / 'provider.sqlite3'}"
        ) as running,
    ):
        yield Demo(running, sandbox)


@pytest.fixture(params=["computer", "phone"])
def screen(
    request: pytest.FixtureRequest, playwright: Playwright, desktop_browser: Browser
) -> Iterator[Page]:
    """The same pages on a computer and on a 390×844 touch phone, in Dutch."""
    if request.param == "computer":
        context = desktop_browser.new_context(**DESKTOP)
    else:
        options = {**phone_options(playwright), "viewport": PHONE_VIEWPORT}
        context = desktop_browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _search(page: Page, typed: str, label: str = "Gemeente") -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(typed)
    field.press("Enter")
    page.wait_for_load_state()


def _fits_the_screen(page: Page, screen: str) -> None:
    """Nothing wider than the screen: the citizen's page never scrolls sideways, on the phone neither."""
    wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wide <= 0, f"'{screen}' is {wide} px wider than the screen ({page.url})"


def test_municipality_search_finds_common_names_and_says_why_not(
    demo: Demo, screen: Page, shots: Shots
) -> None:
    # the home page's search: Enter on the name people use opens the form for that municipality
    screen.goto(demo.provider.url)
    expect(screen.locator("html")).to_have_attribute("lang", "nl")
    shots.take(screen, "home")
    _search(screen, "den haag")
    expect(screen).to_have_url(re.compile(r"/aanvragen\?gemeente="))
    field = screen.get_by_label("Gemeente", exact=True)
    expect(field).to_have_value("'s-Gravenhage")  # selected, not emptied
    expect(screen.locator("p.lead")).to_have_text("Gemeente 's-Gravenhage")
    expect(screen.get_by_test_id("municipality-search")).to_have_count(0)
    expect(screen.get_by_role("alert")).to_have_count(0)
    shots.take(screen, "apply-den-haag")
    assert_accessible(screen, "application form, Den Haag chosen")
    _fits_the_screen(screen, "application form")

    # on the form itself: Enter in the field selects, and what was typed elsewhere stays
    screen.get_by_label("Naam", exact=True).fill("Willem Smit")
    _search(screen, "Den Bosch")
    expect(field).to_have_value("'s-Hertogenbosch")
    expect(screen.locator("p.lead")).to_have_text("Gemeente 's-Hertogenbosch")
    expect(screen.get_by_label("Naam", exact=True)).to_have_value("Willem Smit")
    expect(screen.get_by_role("alert")).not_to_contain_text("Kies een gemeente")
    shots.take(screen, "apply-den-bosch")

    _search(screen, "Berg")  # part of several names: the candidates, the text kept
    expect(field).to_have_value("Berg")
    expect(screen.get_by_label("Naam", exact=True)).to_have_value("Willem Smit")
    message = screen.get_by_test_id("municipality-search")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Meer gemeenten passen bij ‘Berg’")
    candidates = screen.get_by_test_id("municipality-candidates").get_by_role("link")
    assert candidates.count() > 1
    expect(screen.get_by_role("alert")).to_contain_text("Kies een gemeente uit de lijst")
    expect(screen.locator("p.lead")).to_have_count(0)
    shots.take(screen, "apply-ambiguous")
    assert_accessible(screen, "application form, several municipalities")
    _fits_the_screen(screen, "application form, several municipalities")
    first = candidates.first
    name = first.inner_text()
    first.click()
    expect(field).to_have_value(name)  # choosing one from the list selects it

    _search(screen, "Atlantis")  # no such municipality: said so, the text kept
    expect(field).to_have_value("Atlantis")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Geen gemeente gevonden bij ‘Atlantis’")
    expect(field).to_have_attribute("aria-invalid", "true")
    shots.take(screen, "apply-unknown")
    assert_accessible(screen, "application form, no municipality found")

    screen.goto(demo.provider.url)  # the same on the home page's search
    _search(screen, "Atlantis")
    expect(field).to_have_value("Atlantis")
    expect(screen.get_by_test_id("municipality-search")).to_contain_text("Geen gemeente gevonden")


def _wait_for(demo: Demo, case_id: str, status: str, timeout: float = 30) -> Case:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        case = demo.provider.services.cases.get(case_id)
        if case is not None and case.status == status:
            return case
        time.sleep(0.2)
    raise AssertionError(f"case {case_id} did not reach {status}")


@pytest.fixture(scope="module")
def couple_case(demo: Demo, desktop_browser: Browser) -> Case:
    """A couple applies on the provider's site (in the browser) and completes the journey from the mail."""
    context = desktop_browser.new_context(**DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{demo.provider.url}/aanvragen")
        _search(page, "den haag")
        page.get_by_label("Naam", exact=True).fill("Willem Smit")
        page.get_by_label("E-mailadres").fill("willem@example.nl")
        page.locator("#partner-yes").check()
        page.get_by_label(re.compile("^Aantal kinderen")).fill("2")
        page.locator("#consent-box").check()
        page.get_by_role("button", name="Aanvraag versturen").click()
        expect(page).to_have_url(re.compile(r"/aanvraag-ontvangen"))
    finally:
        context.close()
    [case] = [c for c in demo.provider.services.cases.all_cases() if c.email == "willem@example.nl"]
    [mail] = [m for m in demo.provider.mails.all() if "willem@example.nl" in m.envelope_to]
    link = re.search(r"(http\S+/start\?t=\S+)", mail.text)
    assert link is not None
    journey = complete_journey(
        link.group(1),
        demo.provider.broker.url,
        demo.sandbox.base_url,
        Login("couple-both-employed", "Proef-0080"),
        Login("couple-both-employed-partner", "Proef-0092"),
    )
    # the sync Playwright driver's event loop counts as running in this thread: the journey gets its own
    with ThreadPoolExecutor(1) as worker:
        worker.submit(asyncio.run, journey).result(timeout=120)
    _wait_for(demo, case.id, "advised")
    deadline = time.monotonic() + 20
    while demo.provider.services.cases.get(case.id).session_state != "acknowledged":  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the package was never acknowledged"
        time.sleep(0.2)
    found = demo.provider.services.cases.get(case.id)
    assert found is not None
    return found


def _log_in(page: Page, url: str) -> None:
    username, password, _ = DEMO_CASEWORKER
    page.goto(f"{url}/backoffice/login")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _amsterdam(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def test_back_office_dossier_speaks_dutch_in_dutch_time_with_each_document_s_person(
    demo: Demo, couple_case: Case, screen: Page, shots: Shots
) -> None:
    url = demo.provider.url
    _log_in(screen, url)
    expect(screen.locator("html")).to_have_attribute("lang", "nl")
    row = screen.get_by_role("row").filter(has_text="Willem Smit")
    expect(row).to_contain_text(_amsterdam(couple_case.created_at))
    shots.take(screen, "backoffice-cases")
    assert_accessible(screen, "back-office case list")

    screen.goto(f"{url}/backoffice/cases/{couple_case.id}")
    expect(screen.get_by_role("heading", level=1)).to_contain_text("Willem Smit")
    shots.take(screen, "backoffice-dossier")
    assert_accessible(screen, "dossier")
    screen.locator("details").evaluate_all("all => all.forEach(d => { d.open = true; })")
    text = screen.locator("body").inner_text()  # what a reader sees, every fold opened
    assert "docs/" not in text, "a pointer to the developers' docs on the caseworker's page"
    for code in RAW_CODES:
        assert not re.search(rf"\b{code}\b", text, re.IGNORECASE), f"'{code}' shown on the Dutch dossier"
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), "a snake_case code shown on the Dutch dossier"

    # the times are Dutch clock times: the received and invitation moments as Amsterdam shows them
    received = screen.locator("dt", has_text="Ontvangen").locator("xpath=following-sibling::dd[1]")
    expect(received).to_have_text(_amsterdam(couple_case.created_at))
    assert couple_case.invitation_sent_at is not None
    assert _amsterdam(couple_case.invitation_sent_at) in text
    for moment in (couple_case.created_at, couple_case.invitation_sent_at):
        as_utc = moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC).strftime("%d-%m-%Y %H:%M")
        assert as_utc not in text, f"{as_utc} is UTC, not the time in the Netherlands"

    # the gemeentepolis template allows no originals (they would carry the untrimmed history): none came, and
    # the dossier says so; each person's consent is labelled with that person
    expect(screen.locator("[data-testid^='document-']")).to_have_count(0)
    expect(screen.get_by_text("Geen originele documenten in dit pakket.")).to_be_visible()
    consents = screen.locator("xpath=//h3[normalize-space()='Toestemmingen']/following-sibling::ul[1]/li")
    people = {consents.nth(i).locator("strong").first.inner_text() for i in range(consents.count())}
    assert people == {"Aanvrager", "Partner"}, f"each person's consent, labelled: {people}"
