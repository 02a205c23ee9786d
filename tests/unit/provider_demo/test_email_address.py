"""The application form and the mailer agree on what an e-mail address is (issue 14)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.support.provider_stack import offline_broker_link

from databrug.provider_demo.cases import Application
from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.email_address import checked_email
from databrug.provider_demo.mail import Invitation, MailError, invitation_message
from databrug.provider_demo.services import ProviderServices, build_services
from databrug.provider_demo.web.app import create_provider_app

HOSTILE = 'x"><svg/onload=alert(4)>@example.nl'
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NOT_ADDRESSES = [
    HOSTILE,
    "Jan <jan@example.nl>",
    "jan@example.nl, piet@example.nl",
    "jan@example.nl\r\nBcc: piet@example.nl",
    '"jan de vries"@example.nl',
    "jan@[127.0.0.1]",
    "jan@example",
    "jan@example.invalid",
    "jän@example.nl",
    "jan@@example.nl",
    "jan@",
    "",
    "jan@" + "b" * 64 + ".nl",  # a domain label over 63 characters
    "jan@" + ".".join(["b" * 60] * 5) + ".nl",  # over 254 characters
]


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_what_is_not_a_plain_address_is_refused(text: str) -> None:
    assert checked_email(text) is None


def test_an_address_is_normalised_once_for_both() -> None:
    assert checked_email("  Roos.Vermeulen+polis@Example.NL ") == "Roos.Vermeulen+polis@example.nl"


def application(email: str) -> Application:
    return Application(
        municipality_code="GM0599", name="Roos Vermeulen", email=email, phone=None, partner=False, children=0
    )


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_the_form_refuses_what_the_mailer_refuses(text: str) -> None:
    assert "email" in application(text).problems()
    invitation = Invitation(text, "Roos", "Rotterdam", "http://127.0.0.1/s", datetime.now(UTC), "nl")
    with pytest.raises(MailError) as refused:
        invitation_message(invitation, "Demo <noreply@gezondverzekerd.invalid>")
    assert "not a valid e-mail address" in str(refused.value)
    assert "example" not in str(refused.value)  # never to whom


def test_the_mailer_sends_to_the_whole_normalised_address() -> None:
    invitation = Invitation(
        "Roos@Example.NL", "Roos", "Rotterdam", "http://127.0.0.1/s", datetime.now(UTC), "nl"
    )
    message = invitation_message(invitation, "Demo <noreply@gezondverzekerd.invalid>")
    assert message["To"] == "Roos@example.nl"
    assert application("Roos@Example.NL").problems() == []


@pytest.fixture
def services(tmp_path: Path) -> Iterator[ProviderServices]:
    settings = ProviderSettings(database_url=f"sqlite:///{tmp_path / 'provider.sqlite3'}")
    built = build_services(settings, link=offline_broker_link("whsec_unused"))
    yield built
    built.db.dispose()


@pytest.fixture
def app(services: ProviderServices) -> FastAPI:
    return create_provider_app(services)


@pytest.mark.parametrize(
    ("language", "message"),
    [("nl", "Vul een geldig e-mailadres in."), ("en", "Enter a valid e-mail address.")],
)
def test_the_hostile_address_is_a_form_error_in_both_languages_and_nothing_is_kept(
    app: FastAPI, services: ProviderServices, language: str, message: str
) -> None:
    with TestClient(app, follow_redirects=False) as site:
        form = site.get("/aanvragen", params={"gemeente": "GM0599", "lang": language})
        token = CSRF.search(form.text)
        assert token
        fields = {"csrf": token.group(1), "gemeente": "Rotterdam", "consent": "yes", "name": "Roos Vermeulen"}
        answer = site.post("/aanvragen", data={**fields, "email": HOSTILE, "children": "0", "partner": "no"})
    assert answer.status_code == 422
    assert message in answer.text
    assert "<svg/onload" not in answer.text  # the value is shown escaped, never as markup
    assert services.cases.all_cases() == []
