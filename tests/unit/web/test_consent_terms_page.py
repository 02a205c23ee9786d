"""The consent screen says what the citizen agrees to besides the data (purpose, retention, third parties,
privacy statement, the published template), in outcome mode the outcome and its inputs with a separate choice
to send the data after "investigate", and the receipt page the provider's commitments and the erasure form.
Driven through the app on fakes (tests/unit/broker/fakes.py), in both languages."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tests.unit.broker.fakes import (
    KEYS,
    PROVIDER,
    SOURCES,
    Phone,
    World,
    build_world,
    collect_all,
    log_in,
    phone_cookies,
    registration,
    request,
)

from databrug.broker import consent_statement
from databrug.consent.statements import Language, OutcomeConsent
from databrug.eligibility import RuleParameters
from databrug.purposes import template
from databrug.records import DataPackage
from databrug.robot.page import Page
from databrug.sdk.crypto import decrypt_package
from databrug.sessions.model import DataRequest
from databrug.sessions.sealing import new_session_key
from databrug.sessions.state import SessionState
from databrug.web.app import create_app
from databrug.web.security import csp_with_form_target

ERASURE_URL = "https://gemeente.invalid/gegevens-wissen"
PRIVACY_URL = "https://gemeente.invalid/privacy"
POLIS = template("gemeentepolis")


def _data_request(**changes: Any) -> DataRequest:
    asked: dict[str, Any] = {
        "purpose": POLIS.id,
        "purpose_version": POLIS.version,
        "wage_months": POLIS.max_wage_months,
        "tax_years": POLIS.max_tax_years,
    }
    return DataRequest.model_validate({**asked, **changes})


def _outcome_request(children: int, **parameters: Any) -> DataRequest:
    rule = RuleParameters.model_validate(parameters)
    return _data_request(
        delivery="outcome", outcome_parameters=rule.model_dump(mode="json"), declared_children=children
    )


class Journey:
    """One applicant's session at the review, and the app the phone talks to."""

    def __init__(self, world: World, phone: Phone, session_id: str, bsn: str) -> None:
        self.world, self.phone, self.session_id, self.bsn = world, phone, session_id, bsn
        self.transport = httpx.ASGITransport(app=create_app(world.broker, background=False))

    def web(self) -> httpx.AsyncClient:
        cookies = phone_cookies(self.phone, self.session_id, {"applicant": self.bsn})
        return httpx.AsyncClient(transport=self.transport, base_url="http://testserver", cookies=cookies)

    async def page(self, path: str) -> Page:
        async with self.web() as web:
            answer = await web.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        return Page.read(path, answer.status_code, answer.text)

    async def state(self) -> SessionState:
        return (await request(self.world, self.phone)).record.state


@pytest.fixture
async def worlds() -> AsyncIterator[dict[str, World]]:
    built: dict[str, World] = {}

    yield built
    for world in built.values():
        await world.broker.close()


async def at_review(
    worlds: dict[str, World], household: str, asked: DataRequest | None, **registered: Any
) -> Journey:
    world = worlds.setdefault(household, build_world(household))
    changes = {"erasure_url": ERASURE_URL, "privacy_statement_url": PRIVACY_URL, **registered}
    world.broker.registry.put(registration(KEYS.public_jwks).model_copy(update=changes))
    sessions = world.broker.sessions
    _, page = await sessions.create_session(PROVIDER, "CASE-1", SOURCES, request=asked)
    token = await sessions.pairing.start_on_phone(page)
    app = await sessions.app_session(token)
    bsn = world.collector.household.applicant.bsn
    await log_in(world, app, "applicant", bsn)
    phone = Phone(token, new_session_key())
    await collect_all(world, phone, "applicant", bsn)
    assert await world.broker.finish_sources(await request(world, phone), phone.key, True) == "review"
    return Journey(world, phone, app.session_id, bsn)


def _text(page: Page, testid: str) -> str:
    return " ".join(html.unescape(page.texts[testid]).split())


def _counts(page: Page, testid: str) -> dict[str, int]:
    block = page.html.split(f'data-testid="{testid}"', 1)[1].split("</ul>", 1)[0]
    return {
        group: int(count)
        for group, count in re.findall(r'data-group="(\w+)".*?<strong>(\d+)</strong>', block)
    }


# -- the data-mode review


@pytest.mark.parametrize(
    ("lang", "retention", "nobody", "template_words", "documents"),
    [
        (
            "nl",
            "bewaart uw gegevens 200 dagen, tot",
            "aan niemand anders door",
            "(versie 1)",
            "niet de originele",
        ),
        (
            "en",
            "keeps your data for 200 days, until",
            "passes your data on to nobody else",
            "(version 1)",
            "not the",
        ),
    ],
)
async def test_the_review_says_purpose_retention_third_parties_privacy_and_template(
    worlds: dict[str, World], lang: Language, retention: str, nobody: str, template_words: str, documents: str
) -> None:
    journey = await at_review(worlds, "company-car", _data_request(), retention_days=200)
    page = await journey.page(f"/app/review?lang={lang}")
    assert POLIS.title[lang] in _text(page, "purpose")
    assert POLIS.summary[lang] in _text(page, "purpose")
    assert retention in _text(page, "retention")
    assert "Unit provider" in _text(page, "retention")
    assert nobody in _text(page, "third-parties")
    assert template_words in _text(page, "template")
    assert POLIS.title[lang] in _text(page, "template")
    assert page.attrs["template-link"]["href"] == f"/doelen#{POLIS.id}-{POLIS.version}"
    privacy = page.attrs["privacy-link"]
    assert (privacy["href"], privacy["target"]) == (PRIVACY_URL, "_blank")
    assert "noopener" in privacy["rel"]
    assert ("nieuw tabblad" if lang == "nl" else "new tab") in _text(page, "privacy-link")
    assert documents in _text(page, "documents")
    assert "outcome" not in page.attrs
    assert "send-data" not in page.attrs
    # the purpose comes before the data, the terms before the consent boxes
    order = [
        page.html.index(f'data-testid="{testid}"')
        for testid in ("purpose", "group-personen", "consent-terms", "consent-applicant")
    ]
    assert order == sorted(order)


async def test_the_review_names_the_third_parties_a_provider_registered(worlds: dict[str, World]) -> None:
    other = template("schuldhulpverlening")
    asked = DataRequest(
        purpose=other.id, purpose_version=other.version, wage_months=other.max_wage_months, tax_years=1
    )
    journey = await at_review(
        worlds,
        "company-car",
        asked,
        purposes=[other.id],
        third_parties=["Stichting Schuldhulp", "Bewindvoering B.V."],
    )
    page = await journey.page("/app/review?lang=nl")
    assert _text(page, "third-parties") == (
        "Unit provider geeft uw gegevens ook door aan: Stichting Schuldhulp, Bewindvoering B.V."
    )
    assert other.title["nl"] in _text(page, "purpose")


async def test_a_session_from_before_purposes_reads_under_the_registrations_first_purpose(
    worlds: dict[str, World],
) -> None:
    journey = await at_review(worlds, "company-car", None)
    page = await journey.page("/app/review?lang=en")
    assert POLIS.title["en"] in _text(page, "purpose")
    assert "(version 1)" in _text(page, "template")


# -- outcome mode


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_an_outcome_review_shows_the_outcome_its_inputs_and_what_goes(
    worlds: dict[str, World], lang: Language
) -> None:
    journey = await at_review(worlds, "ww-benefit", _outcome_request(0))
    broker = journey.world.broker
    app = await request(journey.world, journey.phone)
    preview = await broker.outcome_preview(app, journey.phone.key)
    assert preview is not None
    assert preview.advice.outcome == "grant"
    page = await journey.page(f"/app/review?lang={lang}")

    assert page.attrs["outcome"]["data-outcome"] == "grant"
    assert _text(page, "outcome-word") == ("Uitkomst: Voldoet" if lang == "nl" else "Outcome: Qualifies")
    income = preview.advice.income_test
    euro = _money(income.household_net_monthly, lang)
    assert _text(page, "outcome-income").startswith(euro)
    assert ("binnen de grens" if lang == "nl" else "within the limit") in _text(page, "outcome-income")
    assert _text(page, "outcome-income-limit").startswith(_money(income.limit, lang))
    assert (
        "120% van de bijstandsnorm, zonder vakantiegeld" if lang == "nl" else "120% of the social"
    ) in _text(page, "outcome-income-limit")
    assert _text(page, "outcome-household") == ("Alleenstaande" if lang == "nl" else "Single person")
    assert _text(page, "outcome-assets").startswith(_money(preview.advice.asset_test.total_counted, lang))
    assert "BRP" in _text(page, "outcome-what-goes")
    assert "niet mee" in _text(page, "outcome-what-goes") or "do not go" in _text(page, "outcome-what-goes")
    assert "send-data" not in page.attrs, "no choice to send the data after a grant"
    assert ("Uitkomst versturen" if lang == "nl" else "Send the outcome") in _text(page, "consent")

    found = await broker.people(app, journey.phone.key)
    person = found[0]
    name = person.subject.person.name if person.subject.person else None
    signed = consent_statement(
        "Unit provider",
        person.entries,
        lang,
        name,
        OutcomeConsent(preview.rule_id, preview.rule_version),
    )
    assert signed in html.unescape(page.html), "the page shows the statement the person signs"


async def test_no_asset_test_is_said_in_words(worlds: dict[str, World]) -> None:
    journey = await at_review(worlds, "ww-benefit", _outcome_request(0, asset_test=False))
    page = await journey.page("/app/review?lang=nl")
    assert _text(page, "outcome-no-asset-test") == "Unit provider kijkt niet naar vermogen."
    assert "outcome-assets" not in page.attrs


async def test_send_data_after_a_grant_or_reject_is_refused_and_nothing_is_sent(
    worlds: dict[str, World],
) -> None:
    for household, outcome in (("ww-benefit", "grant"), ("single-renter-low-wage", "reject")):
        journey = await at_review(worlds, household, _outcome_request(0))
        page = await journey.page("/app/review")
        assert page.attrs["outcome"]["data-outcome"] == outcome
        assert "send-data" not in page.attrs
        async with journey.web() as web:
            refused = await web.post("/app/consent", data={"consent_applicant": "yes", "send_data": "1"})
            assert refused.status_code in (409, 422, 400), refused.status_code
            assert "outcome_data_not_allowed" in refused.text
            assert await journey.state() is SessionState.REVIEW
            for hostile in ("yes", "2", "1" * 9):
                answer = await web.post(
                    "/app/consent", data={"consent_applicant": "yes", "send_data": hostile}
                )
                assert answer.status_code in (400, 422), (hostile, answer.status_code)
                assert await journey.state() is SessionState.REVIEW


async def test_after_investigate_a_separate_unticked_choice_sends_the_bounded_data(
    worlds: dict[str, World],
) -> None:
    # the application says no children, the BRP has some: the rule cannot decide ("investigate")
    journey = await at_review(worlds, "single-parent-benefit", _outcome_request(0))
    page = await journey.page("/app/review?lang=nl")
    assert page.attrs["outcome"]["data-outcome"] == "investigate"
    choice = page.attrs["send-data"]
    assert choice["type"] == "checkbox"
    assert choice["name"] == "send_data"
    assert "checked" not in choice
    assert "required" not in choice
    counts = _counts(page, "send-data-counts")
    assert counts
    assert "personen" not in counts
    shown = dict(
        re.findall(r'data-testid="group-(\w+)">\s*<summary>[^<]*<span class="count">\((\d+)\)', page.html)
    )
    assert {group: int(shown[group]) for group in counts} == counts, "the choice lists the groups' counts"
    assert "aantal kinderen op de aanvraag" in _text(page, "outcome-reasons")
    assert "data-statement-applicant" in page.texts

    async with journey.web() as web:
        sent = await web.post("/app/consent", data={"consent_applicant": "yes", "send_data": "1"})
    assert (sent.status_code, sent.headers["location"]) == (303, "/app/done")
    package = await _package(journey)
    assert package.outcome is not None
    assert package.subjects[0].incomes.relations, "the data went with the outcome"
    done = await journey.page("/app/done?lang=nl")
    assert "erasure" in done.attrs
    assert _text(done, "sent-outcome") == (
        "Naar Unit provider is de uitkomst ‘Moet worden onderzocht’ gestuurd. "
        "Op uw verzoek zijn ook uw gegevens meegestuurd."
    )


async def test_an_outcome_only_consent_sends_no_income_or_asset_records(worlds: dict[str, World]) -> None:
    journey = await at_review(worlds, "single-parent-benefit", _outcome_request(0))
    async with journey.web() as web:
        sent = await web.post("/app/consent", data={"consent_applicant": "yes"})
    assert sent.status_code == 303
    package = await _package(journey)
    subject = package.subjects[0]
    assert package.outcome is not None
    assert subject.person is not None
    assert not subject.incomes.relations
    assert not subject.assets.bank_balances
    done = await journey.page("/app/done?lang=en")
    assert _text(done, "sent-outcome") == (
        "The outcome ‘Needs to be looked into’ was sent to Unit provider. "
        "Your income and asset records were not sent."
    )


# -- the done page: commitments and erasure


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_the_receipt_page_shows_the_commitments_and_an_erasure_form_to_the_provider(
    worlds: dict[str, World], lang: Language
) -> None:
    journey = await at_review(worlds, "company-car", _data_request(), retention_days=90)
    async with journey.web() as web:
        assert (await web.post("/app/consent", data={"consent_applicant": "yes"})).status_code == 303
        answer = await web.get(f"/app/done?lang={lang}")
    page = Page.read("/app/done", answer.status_code, answer.text)
    data = await journey.world.broker.consent_receipt(
        await request(journey.world, journey.phone), journey.phone.key
    )
    assert data is not None
    token = re.search(rb'"token":"(era_[A-Za-z0-9_-]+)"', data)
    assert token is not None
    code = token.group(1).decode()
    assert _text(page, "erasure-code") == code
    form = page.form_to(ERASURE_URL)
    assert form is not None
    assert form.fields == {"erasure_token": code}
    assert ("90 dagen" if lang == "nl" else "90 days") in _text(page, "retention")
    assert page.attrs["privacy-link"]["href"] == PRIVACY_URL
    assert ("versie 1" if lang == "nl" else "version 1") in _text(page, "done-purpose")
    assert "sent-outcome" not in page.attrs, "a data-mode receipt names no outcome"
    policy = answer.headers["content-security-policy"]
    assert "form-action 'self' https://gemeente.invalid;" in policy
    assert "digid.invalid" not in policy


async def test_other_pages_keep_the_default_form_targets(worlds: dict[str, World]) -> None:
    journey = await at_review(worlds, "company-car", _data_request())
    async with journey.web() as web:
        review = await web.get("/app/review")
    assert "gemeente.invalid" not in review.headers["content-security-policy"]
    assert "form-action 'self' https://digid.invalid;" in review.headers["content-security-policy"]


async def test_without_an_erasure_url_the_page_says_whom_to_ask(worlds: dict[str, World]) -> None:
    journey = await at_review(worlds, "company-car", _data_request(), erasure_url=None)
    async with journey.web() as web:
        await web.post("/app/consent", data={"consent_applicant": "yes"})
        answer = await web.get("/app/done?lang=nl")
    page = Page.read("/app/done", answer.status_code, answer.text)
    assert "erasure-form" not in page.attrs
    assert "Vraag het Unit provider zelf" in _text(page, "erasure-no-url")
    assert "gemeente.invalid" not in answer.headers["content-security-policy"]


async def test_a_forged_erasure_field_does_not_reach_the_broker(worlds: dict[str, World]) -> None:
    """The erasure form goes to the provider; the broker has no place that takes an erasure token."""
    journey = await at_review(worlds, "company-car", _data_request())
    async with journey.web() as web:
        await web.post("/app/consent", data={"consent_applicant": "yes"})
        before = await journey.world.broker.consent_receipt(
            await request(journey.world, journey.phone), journey.phone.key
        )
        for path in ("/app/done", "/app/receipt", "/app/erasure", "/doelen"):
            answer = await web.post(path, data={"erasure_token": "era_" + "A" * 32})
            assert answer.status_code in (404, 405), (path, answer.status_code)
        after = await journey.world.broker.consent_receipt(
            await request(journey.world, journey.phone), journey.phone.key
        )
    assert before == after
    assert await journey.state() is not SessionState.CANCELLED


@pytest.mark.parametrize(
    "origin",
    ["https://a.example;script-src *", "https://a.example b.example", "javascript:alert(1)", "https://", ""],
)
def test_a_form_target_that_is_not_a_plain_origin_adds_nothing_to_the_policy(origin: str) -> None:
    assert csp_with_form_target(origin) is None


def test_a_plain_origin_becomes_the_pages_one_extra_form_target() -> None:
    policy = csp_with_form_target("http://127.0.0.1:8301")
    assert policy is not None
    assert "form-action 'self' http://127.0.0.1:8301;" in policy


# -- the published purposes, for people


@pytest.mark.parametrize(
    ("lang", "words"),
    [("nl", "Loon: ten hoogste de laatste 12 maanden"), ("en", "Wages: at most the last 12 months")],
)
async def test_the_purposes_page_lists_every_template_readably(
    worlds: dict[str, World], lang: Language, words: str
) -> None:
    world = worlds.setdefault("company-car", build_world("company-car"))
    transport = httpx.ASGITransport(app=create_app(world.broker, background=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
        answer = await web.get(f"/doelen?lang={lang}")
        hostile = await web.get("/doelen?lang=<script>alert(1)</script>&x=" + "A" * 5000)
    assert answer.status_code == 200
    page = Page.read("/doelen", 200, answer.text)
    polis = _text(page, f"purpose-{POLIS.id}-{POLIS.version}")
    assert POLIS.title[lang] in polis
    assert words in polis
    assert "art. 35 lid 3 Participatiewet" in polis
    assert "gemeentepolis-toets" in polis
    assert "purpose-schuldhulpverlening-1" in page.attrs
    assert hostile.status_code == 200
    assert "<script>alert" not in hostile.text


def _money(amount: Decimal, lang: str) -> str:
    number = f"{amount:,.2f}"
    return "€ " + number.translate(str.maketrans(",.", ".,")) if lang == "nl" else "€" + number


async def _package(journey: Journey) -> DataPackage:
    ciphertext = await journey.world.broker.sessions.load_package(journey.session_id, PROVIDER)
    assert ciphertext is not None
    return decrypt_package(ciphertext, KEYS.private_jwks)


def test_every_outcome_household_rule_and_reason_has_words_in_both_languages() -> None:
    from typing import get_args

    from databrug.eligibility.model import HouseholdFacts, Outcome
    from databrug.records import DocumentType
    from databrug.web.i18n import LANGUAGES, catalogue

    kinds = get_args(HouseholdFacts.model_fields["kind"].annotation)
    rules = get_args(RuleParameters.model_fields["home_equity_rule"].annotation)
    wanted = (
        [f"outcome.{o}" for o in get_args(Outcome)]
        + [f"outcome.{o}_text" for o in get_args(Outcome)]
        + [f"outcome.household_{kind}" for kind in kinds]
        + [f"outcome.home_equity_{rule}" for rule in rules]
        + [f"choice.{rule}" for rule in rules]
        + [f"document.{doc}" for doc in get_args(DocumentType)]
        + [f"parameter.{name}" for name in RuleParameters.model_fields]
    )
    assert len(wanted) > 20
    for lang in LANGUAGES:
        assert [key for key in wanted if key not in catalogue(lang)] == []
