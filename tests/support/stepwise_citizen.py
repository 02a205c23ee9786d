"""A citizen on a phone, one step at a time, so a test can break something between two steps.

The robot (``databrug.robot.journey``) runs a whole journey in one call; fault tests need to stop after
login, fetch one source, look at the page, retry. This drives the phone-only journey (no QR) with the robot's
own browser and page reader, and reads only what a person reads on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from databrug.robot.browser import Browser
from databrug.robot.journey import PHONE_UA, Endpoints, JourneyFailed, Login, Persona, _digid_login
from databrug.robot.page import Page
from databrug.sdk import AsyncDatabrugClient
from tests.support.broker_server import BrokerServer


@dataclass(frozen=True)
class SourceLine:
    status: str  # waiting | fetching | done | failed | skipped
    code: str | None  # the error code shown beside a failed source


class PhoneCitizen:
    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self.browser = Browser(PHONE_UA)
        self.page: Page | None = None

    async def close(self) -> None:
        await self.browser.close()

    @property
    def base(self) -> str:
        return self.endpoints.citizen_url

    async def open(self, citizen_url: str) -> Page:
        """The invitation link opened on the phone itself: 'continue on this phone' makes it the app."""
        link = self.base + citizen_url[citizen_url.index("/start") :]
        page = await self.browser.get(link)
        page = await self.browser.get(f"{self.base}/c/install")
        form = page.form_to("/c/phone-start")
        if form is None:
            raise JourneyFailed(f"no 'continue on this phone' button (HTTP {page.status})")
        return self._at(await self.browser.submit(page, form))

    async def login(self, login: Login) -> Page:
        return self._at(await _digid_login(self.browser, self.endpoints, login))

    async def login_at(self, start: str, login: Login) -> Page:
        """A DigiD login started from ``start`` (the review's link to log in again to consent)."""
        return self._at(await _digid_login(self.browser, self.endpoints, login, start))

    async def get(self, path: str) -> Page:
        return self._at(await self.browser.get(f"{self.base}{path}"))

    async def press(self, action: str, **typed: str) -> Page:
        """Submit the form on the current page whose action contains ``action``."""
        page = self.current
        form = page.form_to(action)
        if form is None:
            raise JourneyFailed(f"no form to {action} on {page.url.split('?')[0]} (HTTP {page.status})")
        return self._at(await self.browser.submit(page, form, **typed))

    async def fetch(self, source: str) -> Page:
        return await self.press(f"/app/sources/{source}/fetch")

    async def fetch_all(self) -> Page:
        return await self.press("/app/fetch-all")

    async def consent(self) -> Page:
        if "/app/review" not in self.current.url:
            raise JourneyFailed(f"not on the review page but {self.current.url.split('?')[0]}")
        form = self.current.form_to("/app/consent")
        if form is None:
            raise JourneyFailed("no consent form")
        consents = {name: "yes" for name in form.inputs if name.startswith("consent_")}
        return self._at(await self.browser.submit(self.current, form, **consents))

    def sources(self) -> dict[str, SourceLine]:
        """Each source's line on the sources page: its status and, when failed, the error code shown."""
        page = self.current
        lines = {}
        for testid, attrs in page.attrs.items():
            if testid.startswith("status-"):
                source = testid.removeprefix("status-")
                status = attrs.get("class", "").split()[-1]
                code = page.attrs.get(f"error-{source}", {}).get("data-code")
                lines[source] = SourceLine(status, code)
        return lines

    @property
    def current(self) -> Page:
        if self.page is None:
            raise JourneyFailed("no page open yet")
        return self.page

    def _at(self, page: Page) -> Page:
        self.page = page
        return page


async def start_at_sources(
    broker: BrokerServer, persona: Persona, reference: str
) -> tuple[PhoneCitizen, AsyncDatabrugClient, str]:
    """A session the provider created, opened on the phone, logged in: the citizen is on the sources page."""
    endpoints = broker.endpoints()
    provider = AsyncDatabrugClient(
        endpoints.broker_url,
        endpoints.provider_id,
        endpoints.client_secret,
        private_jwks=endpoints.private_jwks,
    )
    created = await provider.create_session(reference=reference)
    citizen = PhoneCitizen(endpoints)
    await citizen.open(created.citizen_url)
    page = await citizen.login(persona.applicant)
    assert "/app/sources" in page.url, page.url
    return citizen, provider, created.id
