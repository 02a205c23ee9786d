"""One whole journey, driven over HTTP: provider creates the session, the citizen does every step.

Two browsers take part, as in real life: the computer (the invitation link, QR code, pairing code) and the
phone (pairing, DigiD, sources, partner, review, consent). The provider side uses the SDK, as an outside
provider would. Nothing is read from the DOM that a person could not read on the screen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from databrug.purposes import months_before, template
from databrug.records import DataPackage
from databrug.robot.browser import Browser
from databrug.robot.page import Page
from databrug.sdk import AsyncDatabrugClient, verify_consents

DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) DatabrugRobot/1.0"
PHONE_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile DatabrugRobot/1.0"
FetchMode = Literal["sequential", "parallel"]


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    sms_enabled: bool = True


@dataclass(frozen=True)
class Persona:
    key: str
    applicant: Login
    partner: Login | None
    facts: dict[str, Any]


@dataclass(frozen=True)
class Endpoints:
    broker_url: str
    sandbox_url: str
    provider_id: str
    client_secret: str
    private_jwks: dict[str, Any]
    citizen_broker_url: str | None = None
    """Where the citizen's browsers go when not to the provider's broker (another process, a balancer)."""

    @property
    def citizen_url(self) -> str:
        return (self.citizen_broker_url or self.broker_url).rstrip("/")


@dataclass
class JourneyResult:
    persona: str
    ok: bool = False
    session_id: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    error_bodies: list[str] = field(default_factory=list)
    error: str | None = None
    outcome: str = "not finished"
    events: list[str] = field(default_factory=list)
    package: dict[str, Any] = field(default_factory=dict)
    decrypted: DataPackage | None = None
    """The package as the provider decrypted it (kept in memory for tests; never printed)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "persona": self.persona,
            "ok": self.ok,
            "session_id": self.session_id,
            "steps": self.steps,
            "requests": self.requests,
            "error": self.error,
            "outcome": self.outcome,
            "events": self.events,
            "package": self.package,
            "seconds": round(sum(s["ms"] for s in self.steps) / 1000, 3),
        }


class JourneyFailed(Exception):
    pass


class ExpectedRefusal(Exception):
    """The persona cannot finish by design (a DigiD without SMS check) and was refused with a clear page."""


class _Steps:
    def __init__(self, result: JourneyResult) -> None:
        self.result = result

    def step(self, name: str) -> _Timer:
        return _Timer(self.result, name)


class _Timer:
    def __init__(self, result: JourneyResult, name: str) -> None:
        self.result, self.name = result, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = (time.perf_counter() - self.started) * 1000
        self.result.steps.append({"name": self.name, "ms": round(elapsed, 1), "ok": exc[0] is None})


def _expect(page: Page, path: str, what: str) -> Page:
    if path not in page.url or page.status >= 400:
        raise JourneyFailed(f"{what}: ended at {page.url.split('?')[0]} (HTTP {page.status})")
    return page


async def _digid_login(
    phone: Browser, endpoints: Endpoints, login: Login, start: str = "/app/digid/login"
) -> Page:
    """Log in at the sandbox DigiD from ``start`` (a new login to consent starts from the review's link)."""
    page = await phone.get(f"{endpoints.citizen_url}{start}")
    form = page.form_to("")
    if form is None or "username" not in form.inputs:
        raise JourneyFailed(f"DigiD login page not shown (HTTP {page.status})")
    page = await phone.submit(page, form, press="login", username=login.username, password=login.password)
    sms_form = next((f for f in page.forms if "code" in f.inputs), None)
    if sms_form is not None:
        inbox = await phone.get_json(f"{endpoints.sandbox_url}/digid/api/sms", username=login.username)
        page = await phone.submit(page, sms_form, press="verify", code=str(inbox["code"]))
    back = next((f for f in page.forms if ("action", "return") in f.buttons), None)
    if back is not None:  # the IdP explains why it cannot log in at the asked level; go back to the app
        page = await phone.submit(page, back, press="return")
    if not login.sms_enabled:
        if page.status == 403 and "/app/digid/callback" in page.url:
            raise ExpectedRefusal("a DigiD without SMS check was refused with its own page")
        raise JourneyFailed(f"a DigiD without SMS check was not refused clearly (HTTP {page.status})")
    return page


async def _collect(phone: Browser, endpoints: Endpoints, page: Page, mode: FetchMode) -> Page:
    if mode == "parallel":
        form = page.form_to("/app/fetch-all")
        if form is None:
            raise JourneyFailed("no 'fetch all' button")
        page = await phone.submit(page, form)
    else:
        actions = [f for f in page.forms if f.action.endswith("/fetch")]
        for form in actions:
            page = await phone.submit(page, form)
    failed = [f.action.split("/")[-2] for f in page.forms if f.action.endswith("/fetch")]
    if failed:
        raise JourneyFailed(f"sources not fetched: {', '.join(sorted(set(failed)))}")
    return page


async def run_journey(
    persona: Persona,
    endpoints: Endpoints,
    mode: FetchMode = "parallel",
    phone_only: bool = False,
    on_created: Callable[[str], None] | None = None,
    pickup: bool = True,
    until: Literal["end", "collected", "declined"] = "end",
) -> JourneyResult:
    """One journey; ``on_created(session_id)`` runs as soon as the session exists (e.g. to start watching)."""
    result = JourneyResult(persona=persona.key)
    steps = _Steps(result)
    desktop, phone = Browser(DESKTOP_UA), Browser(PHONE_UA)
    provider = AsyncDatabrugClient(
        endpoints.broker_url,
        endpoints.provider_id,
        endpoints.client_secret,
        private_jwks=endpoints.private_jwks,
    )
    try:
        with steps.step("provider creates session"):
            created = await provider.create_session(reference=f"robot-{persona.key}")
            result.session_id = created.id
            if on_created is not None:
                on_created(created.id)
            start_link = endpoints.citizen_url + created.citizen_url[created.citizen_url.index("/start") :]
        if phone_only:
            with steps.step("phone opens the invitation"):
                page = await phone.get(start_link)
                page = await phone.get(page.url.replace("/c/info", "/c/install"))
                form = page.form_to("/c/phone-start")
                if form is None:
                    raise JourneyFailed("no 'continue on this phone' button")
                page = await phone.submit(page, form)
        else:
            with steps.step("computer opens the invitation"):
                _expect(await desktop.get(start_link), "/c/info", "info page")
                await desktop.get(f"{endpoints.citizen_url}/c/checklist")
                await desktop.get(f"{endpoints.citizen_url}/c/install")
                qr = _expect(await desktop.get(f"{endpoints.citizen_url}/c/qr"), "/c/qr", "QR page")
                token = qr.text("pairing-token")
                if not token:
                    raise JourneyFailed("no QR code on the computer page")
            with steps.step("phone scans the QR code"):
                page = await phone.get(f"{endpoints.citizen_url}/app/pair?t={token}")
                form = page.form_to("/app/pair")
                if form is None:
                    raise JourneyFailed("no pairing form")
                code_page = _expect(await phone.submit(page, form), "/app/pairing", "pairing")
                code = code_page.text("pairing-code").replace(" ", "")
            with steps.step("computer confirms the pairing code"):
                confirm = await desktop.get(f"{endpoints.citizen_url}/c/qr")
                form = confirm.form_to("/c/confirm")
                if form is None:
                    raise JourneyFailed("the computer does not ask for the code")
                _expect(await desktop.submit(confirm, form, code=code), "/c/progress", "confirmation")
                page = await phone.get(f"{endpoints.citizen_url}/app/pairing")
        with steps.step("applicant logs in with DigiD"):
            page = _expect(
                await _digid_login(phone, endpoints, persona.applicant), "/app/sources", "DigiD login"
            )
        with steps.step(f"applicant collects ({mode})"):
            page = await _collect(phone, endpoints, page, mode)
        with steps.step("applicant continues"):
            form = page.form_to("/app/next")
            if form is None:
                raise JourneyFailed("no 'continue' button after collecting")
            page = await phone.submit(page, form)
        if "/app/sources" in page.url:
            if persona.partner is None:
                raise JourneyFailed("a partner is asked for, but the persona has none")
            with steps.step("partner logs in with DigiD"):
                page = _expect(
                    await _digid_login(phone, endpoints, persona.partner), "/app/sources", "partner login"
                )
            with steps.step(f"partner collects ({mode})"):
                page = await _collect(phone, endpoints, page, mode)
                form = page.form_to("/app/next")
                if form is None:
                    raise JourneyFailed("no 'continue' button after the partner collected")
                page = await phone.submit(page, form)
        if until == "collected":
            result.ok, result.outcome = True, "stopped after collecting"
            return result
        if until == "declined":
            with steps.step("review and decline"):
                page = _expect(page, "/app/review", "review")
                form = page.form_to("/app/decline")
                if form is None:
                    raise JourneyFailed("no way to decline")
                await phone.submit(page, form)
                result.ok, result.outcome = True, "declined"
                return result
        with steps.step("review and consent"):
            page = _expect(page, "/app/review", "review")
            form = page.form_to("/app/consent")
            if form is None:
                raise JourneyFailed("no consent form")
            consents = {name: "yes" for name in form.inputs if name.startswith("consent_")}
            _expect(await phone.submit(page, form, **consents), "/app/done", "sending")
        if not pickup:  # the provider picks up later, e.g. on its webhook
            result.ok = True
            result.outcome = "delivered"
            return result
        with steps.step("provider receives the package"):
            status = await provider.get_session(created.id)
            if status.state != "delivered":
                raise JourneyFailed(f"session is {status.state}, not delivered")
            package = await provider.fetch_package(created.id)
            verify_consents(package)
            result.decrypted = package
            result.package = _summary(package)
            _check_facts(persona, result.package)
        with steps.step("provider acknowledges"):
            await provider.acknowledge(created.id)
            events = await provider.events(created.id)
            result.events = [e.type for e in events]
        result.ok = True
        result.outcome = "delivered and acknowledged"
    except ExpectedRefusal as refusal:
        result.ok = True
        result.outcome = f"refused as expected: {refusal}"
        if result.session_id:
            await provider.cancel(result.session_id)
    except JourneyFailed as failure:
        result.error = str(failure)
    except Exception as error:  # any other error: one failed journey, reported, never a crash of the run
        result.error = f"{type(error).__name__}: {str(error)[:200]}"
    finally:
        result.requests = desktop.requests + phone.requests
        result.error_bodies = desktop.error_bodies + phone.error_bodies
        await asyncio.gather(desktop.close(), phone.close(), provider.aclose())
    return result


def _summary(package: Any) -> dict[str, Any]:
    subjects = {}
    for subject in package.subjects:
        subjects[subject.role] = {
            "bsn": subject.person.bsn if subject.person else None,
            "income_relations": len(subject.incomes.relations),
            "tax_years": len(subject.incomes.tax_years),
            "pension_schemes": len(subject.pensions.schemes),
            "vehicles": len(subject.assets.vehicles),
            "homes": len(subject.assets.homes),
        }
    purpose = package.purpose
    return {
        "package_id": package.package_id,
        "subjects": subjects,
        "sources": len(package.sources),
        "wage_months": template(purpose.id, purpose.version).max_wage_months if purpose else None,
    }


def _check_facts(persona: Persona, summary: dict[str, Any]) -> None:
    """The package must hold what the persona's documented key facts say."""
    for person in persona.facts.get("people", []):
        got = summary["subjects"].get(person["role"])
        if got is None:
            raise JourneyFailed(f"the package lacks the {person['role']}")
        if "bsn" in person and person["bsn"] != got["bsn"]:
            raise JourneyFailed(f"the {person['role']} in the package is another person")
        expected = {fact: person[fact] for fact in ("income_relations", "pension_schemes") if fact in person}
        if "income_relation_ends" in person and summary["wage_months"] is not None:
            expected["income_relations"] = _relations_within(
                person["income_relation_ends"], summary["wage_months"]
            )
        for fact, value in expected.items():
            if value != got[fact]:
                raise JourneyFailed(f"{person['role']} {fact}: expected {value}, got {got[fact]}")


def _relations_within(ends: list[str | None], wage_months: int) -> int:
    """How many income relations a package asked at its template's maximum months of wages holds: those with a
    wage period ending within them (``purposes.bounded_subject``; the robot's sessions ask no less)."""
    first_kept = months_before(date.today(), wage_months)
    return sum(1 for end in ends if end is not None and date.fromisoformat(end) >= first_kept)
