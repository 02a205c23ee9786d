"""Each consent is the consenting person's own, over real HTTP: a phone that forges its DigiD login cookie
with another BSN (it holds the key that cookie is sealed with) is refused on fetch and consent (the upload,
refused on the same check before its body is read, is in ``tests/unit/broker/test_consent_logins.py``); the
applicant's phone cannot consent for a partner whose login is stale; the partner logs in again from the
review (as the same person, not anyone else) and the package says how each consent was authenticated."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from tests.support.broker_server import BrokerServer
from tests.support.stepwise_citizen import PhoneCitizen, start_at_sources

from databrug.broker.vault import open_value, seal_value, session_key_of
from databrug.records.consent import CONSENT_LOGIN_WINDOW
from databrug.robot.journey import Persona
from databrug.robot.page import Page
from databrug.sdk import verify_consents
from databrug.sessions.clock import SystemClock
from databrug.sessions.state import SessionState
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.server import SandboxServer

OTHER = CATALOGUE["couple-both-employed"].applicant


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(tmp_path_factory.mktemp("consent"), sandbox.base_url) as running:
        yield running


class AheadClock(SystemClock):
    """The broker's session clock, moved past the consent window (the citizen took their time)."""

    def __init__(self, ahead: timedelta) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return super().now() + self.ahead


def code_of(page: Page) -> str | None:
    found = re.search(r'data-code="([a-z_]+)"', page.html)
    return found.group(1) if found else None


def forge_login(citizen: PhoneCitizen, session_id: str, bsn: str) -> str:
    """Rewrite the phone's applicant login cookie with another BSN; returns the genuine cookie."""
    jar = citizen.browser.http.cookies.jar
    key = session_key_of(next(c.value for c in jar if c.name == "dbk") or "")
    genuine = next(c for c in jar if c.name == "dbd_applicant")
    login = open_value(key, session_id, "dbd_applicant", genuine.value)
    assert login is not None
    forged = seal_value(key, session_id, "dbd_applicant", {**login, "bsn": bsn})
    citizen.browser.http.cookies.set("dbd_applicant", forged, domain=genuine.domain, path=genuine.path)
    return genuine.value or ""


def put_back(citizen: PhoneCitizen, genuine: str) -> None:
    cookie = next(c for c in citizen.browser.http.cookies.jar if c.name == "dbd_applicant")
    citizen.browser.http.cookies.set("dbd_applicant", genuine, domain=cookie.domain, path=cookie.path)


async def state_of(broker: BrokerServer, session_id: str) -> SessionState:
    record = await broker.broker.sessions.store.get(session_id)
    assert record is not None
    return record.state


def test_a_forged_login_cookie_is_refused_on_fetch_and_consent(
    broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    async def journey() -> None:
        citizen, provider, session_id = await start_at_sources(
            broker, personas["single-renter-low-wage"], "FORGED-1"
        )
        try:
            genuine = forge_login(citizen, session_id, OTHER.bsn)
            page = await citizen.fetch("uwv")
            assert (page.status, code_of(page)) == (401, "digid_token_invalid")
            record = await broker.broker.sessions.store.get(session_id)
            assert record is not None
            assert all(p.records == 0 for p in record.subjects["applicant"].sources.values()), "nothing kept"

            put_back(citizen, genuine)
            await citizen.get("/app/sources")
            await citizen.fetch_all()
            page = await citizen.press("/app/next")
            assert "/app/review" in page.url, page.url
            forge_login(citizen, session_id, OTHER.bsn)
            page = await citizen.consent()
            assert (page.status, code_of(page)) == (401, "digid_token_invalid")
            assert await state_of(broker, session_id) is SessionState.REVIEW
            put_back(citizen, genuine)
            await citizen.get("/app/review")
            page = await citizen.consent()
            assert "/app/done" in page.url, page.url
        finally:
            await citizen.close()
            await provider.aclose()

    asyncio.run(journey())


def test_a_stale_partner_login_blocks_the_applicants_phone_until_the_partner_logs_in_again(
    broker: BrokerServer, personas: dict[str, Persona], monkeypatch: pytest.MonkeyPatch
) -> None:
    couple = personas["couple-both-employed"]
    assert couple.partner is not None

    async def journey() -> None:
        citizen, provider, session_id = await start_at_sources(broker, couple, "STALE-1")
        try:
            await citizen.fetch_all()
            page = await citizen.press("/app/next")
            assert couple.partner is not None
            page = await citizen.login(couple.partner)
            assert "/app/sources" in page.url, page.url
            await citizen.fetch_all()
            page = await citizen.press("/app/next")
            assert "/app/review" in page.url, page.url
            assert {"consent-applicant", "consent-partner"} <= set(page.attrs), "a fast journey: no new login"

            later = AheadClock(CONSENT_LOGIN_WINDOW + timedelta(minutes=1))
            monkeypatch.setattr(broker.broker.sessions, "clock", later)
            page = await citizen.get("/app/review")
            assert {"relogin-applicant", "relogin-partner"} <= set(page.attrs)
            assert "consent-partner" not in page.attrs
            page = await citizen.login_at("/app/digid/login?role=applicant&purpose=consent", couple.applicant)
            assert "/app/review" in page.url, page.url
            assert "consent-applicant" in page.attrs
            assert "relogin-partner" in page.attrs

            refused = await citizen.browser.http.post(
                f"{citizen.base}/app/consent", data={"consent_applicant": "yes", "consent_partner": "yes"}
            )
            assert refused.status_code == 403
            assert 'data-code="consent_login_required"' in refused.text
            assert await state_of(broker, session_id) is SessionState.REVIEW

            someone_else = personas["single-renter-low-wage"].applicant
            page = await citizen.login_at("/app/digid/login?role=partner&purpose=consent", someone_else)
            assert (page.status, code_of(page)) == (403, "login_mismatch")
            page = await citizen.login_at("/app/digid/login?role=partner&purpose=consent", couple.partner)
            assert "/app/review" in page.url, page.url
            page = await citizen.consent()
            assert "/app/done" in page.url, page.url

            package = await provider.fetch_package(session_id)
            assert set(verify_consents(package)) == {"applicant", "partner"}
            methods = {c.subject: c.authentication.method for c in package.consents if c.authentication}
            assert methods == {"applicant": "digid_reauthentication", "partner": "digid_reauthentication"}
        finally:
            await citizen.close()
            await provider.aclose()

    asyncio.run(journey())
