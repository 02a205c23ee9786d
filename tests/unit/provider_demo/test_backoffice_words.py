"""The Dutch back office speaks Dutch: no raw code, English word or pointer to the docs on a dossier (issue
15), and its times are Dutch clock times like the e-mail's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape
from types import SimpleNamespace
from typing import Any

import pytest
from tests.support.provider_packages import package_for

from databrug.eligibility import Declaration, assess
from databrug.provider_demo.cases import DECISION_REASONS
from databrug.provider_demo.mail import dutch_time
from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.web.dossier import provenance
from databrug.provider_demo.web.i18n import translate
from databrug.provider_demo.web.pages import _env
from databrug_sandbox.personas.catalogue import CATALOGUE

# The codes the package model and the advice speak in, and English words once seen on the Dutch page
RAW = re.compile(
    r"\b(acknowledged|delivered|guaranteed|owner|tenant|kindgebonden_budget|zorgtoeslag|huurtoeslag|"
    r"kinderopvangtoeslag|applicant|partner_absent|employment|benefit|pension|mortgage|savings|"
    r"checking|True|False|None|docs/provider\.md|Sources|source_ref|[a-z]+_[a-z_]+)\b"
)


def dossier_text(key: str, lang: Any = "nl") -> str:
    household = CATALOGUE[key]
    package = package_for(household)
    declaration = Declaration(partner=household.partner is not None, children=0)
    advice = assess(package, declaration, MunicipalitySettings(), date(2026, 11, 1))
    when = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    case = SimpleNamespace(
        id="case-1",
        status="decided",
        session_state="acknowledged",
        municipality_code="GM0637",
        created_at=when,
        applicant_name="A. Test",
        email="a@example.invalid",
        phone=None,
        children=0,
        partner_declared=household.partner is not None,
        invitation_sent_at=when,
        invitations_sent=1,
        session_expires_at=when,
        decision="approved",
        decision_reason="meets_conditions",
        decided_at=when,
        decided_by="medewerker",
        decision_note=None,
        language="nl",
    )
    html = (
        _env()
        .get_template("backoffice/dossier.html")
        .render(
            lang=lang,
            t=lambda k, **p: translate(lang, k, **p),
            languages=[],
            anon_csrf="x",
            login=SimpleNamespace(username="medewerker", csrf="x", role="staff"),
            case=case,
            municipality=SimpleNamespace(name="Zoetermeer", province="Zuid-Holland"),
            package=package,
            stored=None,
            unreadable=False,
            prov=provenance(package),
            advice=advice,
            charts={},
            reasons=DECISION_REASONS,
            message=None,
            now=when,
        )
    )
    main = html.split("<main", 1)[1]
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", main, flags=re.S)
    text = re.sub(
        r'\s(data-testid|class|id|href|for|name|value|aria-[a-z]+|type|action|method)="[^"]*"', " ", text
    )
    return unescape(re.sub(r"<[^>]+>", " ", text))


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_a_dutch_dossier_shows_no_raw_code_or_english_word(key: str) -> None:
    found = sorted(set(RAW.findall(dossier_text(key))))
    assert found == [], f"{key}: {found}"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_code_shown_has_its_words_in_both_languages(lang: str) -> None:
    for key in CATALOGUE:
        text = dossier_text(key, lang)
        assert not re.search(r"\b(code|role|source|status)\.[a-z_]+", text), key  # a key without a text


def test_times_are_dutch_clock_times_in_winter_and_summer() -> None:
    assert dutch_time(datetime(2026, 12, 1, 13, 59, tzinfo=UTC)) == "01-12-2026 14:59"
    assert dutch_time(datetime(2026, 7, 1, 13, 59, tzinfo=UTC)) == "01-07-2026 15:59"
    # the database gives times back without a zone: they are UTC, not the server's local time
    assert dutch_time(datetime(2026, 12, 1, 13, 59)) == "01-12-2026 14:59"
