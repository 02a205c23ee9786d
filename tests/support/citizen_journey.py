"""A citizen completing the journey from a provider's invitation link (the robot's steps, our own start).

The robot (``databrug.robot``) creates its own sessions; a provider test starts from the link in the
invitation e-mail instead, then pairs a phone, logs in, collects, adds the partner and consents the same way.
"""

from __future__ import annotations

from databrug.robot.browser import Browser
from databrug.robot.journey import (
    DESKTOP_UA,
    PHONE_UA,
    Endpoints,
    JourneyFailed,
    Login,
    _collect,
    _digid_login,
    _expect,
)


async def complete_journey(
    start_link: str, broker_url: str, sandbox_url: str, applicant: Login, partner: Login | None = None
) -> None:
    """Open the link on a computer, pair a phone, collect for both people, consent; raises on any failure."""
    endpoints = Endpoints(broker_url, sandbox_url, provider_id="-", client_secret="-", private_jwks={})
    base = endpoints.citizen_url
    desktop, phone = Browser(DESKTOP_UA), Browser(PHONE_UA)
    try:
        link = base + start_link[start_link.index("/start") :]
        _expect(await desktop.get(link), "/c/info", "info page")
        await desktop.get(f"{base}/c/checklist")
        await desktop.get(f"{base}/c/install")
        qr = _expect(await desktop.get(f"{base}/c/qr"), "/c/qr", "QR page")
        token = qr.text("pairing-token")
        page = await phone.get(f"{base}/app/pair?t={token}")
        form = page.form_to("/app/pair")
        if form is None:
            raise JourneyFailed("no pairing form")
        code = _expect(await phone.submit(page, form), "/app/pairing", "pairing").text("pairing-code")
        confirm = await desktop.get(f"{base}/c/qr")
        form = confirm.form_to("/c/confirm")
        if form is None:
            raise JourneyFailed("the computer does not ask for the code")
        _expect(await desktop.submit(confirm, form, code=code.replace(" ", "")), "/c/progress", "confirm")
        await phone.get(f"{base}/app/pairing")
        page = _expect(await _digid_login(phone, endpoints, applicant), "/app/sources", "DigiD login")
        page = await _collect(phone, endpoints, page, "parallel")
        form = page.form_to("/app/next")
        if form is None:
            raise JourneyFailed("no 'continue' button")
        page = await phone.submit(page, form)
        if "/app/sources" in page.url:
            if partner is None:
                form = page.form_to("/app/skip-partner") or page.form_to("/app/next")
                if form is None:
                    raise JourneyFailed("a partner is asked for and cannot be skipped")
                page = await phone.submit(page, form)
            else:
                page = _expect(await _digid_login(phone, endpoints, partner), "/app/sources", "partner")
                page = await _collect(phone, endpoints, page, "parallel")
                form = page.form_to("/app/next")
                if form is None:
                    raise JourneyFailed("no 'continue' after the partner")
                page = await phone.submit(page, form)
        page = _expect(page, "/app/review", "review")
        form = page.form_to("/app/consent")
        if form is None:
            raise JourneyFailed("no consent form")
        consents = {name: "yes" for name in form.inputs if name.startswith("consent_")}
        _expect(await phone.submit(page, form, **consents), "/app/done", "sending")
    finally:
        await desktop.close()
        await phone.close()
