"""The citizen's pages on the computer (steps 3–6): info, checklist, install, QR with live progress, done."""

from __future__ import annotations

import json
from typing import Annotated

import segno
from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from databrug.broker import (
    QR_ERROR,
    Broker,
    PageToken,
    SessionError,
    SessionRecord,
    SessionState,
    current_pairing_tag,
    display_short_code,
)
from databrug.web.context import remember_session, render, set_private_cookie
from databrug.web.deps import PAGE_COOKIE, BrokerDep, PageTokenDep, begin_app
from databrug.web.metrics import STREAMING
from databrug.web.request_limits import SMALL_FORMS
from databrug.web.sse import event_stream, last_event_id

router = APIRouter(include_in_schema=False, form_limits=SMALL_FORMS)

PHONE_HINTS = ("iphone", "android", "mobile")
"""A phone, by the rule of docs/design.md: the browser's client hint ``Sec-CH-UA-Mobile: ?1`` (Chromium
browsers), else one of these words in its User-Agent (Safari on the iPhone, Firefox on Android). A tablet
or a wrong guess still has its way: the phone start names "Ik gebruik een computer", back to the QR path."""

S = SessionState
_WAITING = {S.CREATED, S.OPENED}


def is_phone(user_agent: str | None, mobile_hint: str | None = None) -> bool:
    if mobile_hint is not None and mobile_hint.strip() in ("?1", "?0"):
        return mobile_hint.strip() == "?1"
    return any(hint in (user_agent or "").lower() for hint in PHONE_HINTS)


@router.get("/start")
async def start(
    request: Request,
    broker: BrokerDep,
    t: Annotated[str, Query(max_length=80)],
    user_agent: Annotated[str | None, Header()] = None,
    sec_ch_ua_mobile: Annotated[str | None, Header()] = None,
) -> Response:
    """The invitation link: keep the page token in a cookie and drop it from the address bar. On a phone
    the journey starts as the app's first screen, without the computer's info, install and QR pages."""
    token = PageToken.parse(t)
    await broker.sessions.open_page(token)
    first = "/c/phone" if is_phone(user_agent, sec_ch_ua_mobile) else "/c/info"
    response = RedirectResponse(first, status_code=303)
    set_private_cookie(request, response, PAGE_COOKIE, token.reveal(), "/")
    return response


async def _record(broker: Broker, token: PageToken, request: Request | None = None) -> SessionRecord:
    record = await broker.sessions.page_session(token)
    if request is not None:
        remember_session(request, record)
    return record


def _finished(record: SessionRecord) -> bool:
    return record.state not in _WAITING


@router.get("/c/info")
async def info(request: Request, broker: BrokerDep, token: PageTokenDep) -> Response:
    record = await _record(broker, token, request)
    if _finished(record):
        return RedirectResponse("/c/progress", status_code=303)
    provider = broker.provider(record.provider_id)
    return render(request, "computer/info.html", "info.title", provider=provider, sources=record.sources)


@router.get("/c/checklist")
async def checklist(request: Request, broker: BrokerDep, token: PageTokenDep) -> Response:
    record = await _record(broker, token, request)
    provider = broker.provider(record.provider_id)
    return render(
        request,
        "computer/checklist.html",
        "checklist.title",
        provider=provider,
        partner=record.partner_mode != "off",
    )


@router.get("/c/install")
async def install(
    request: Request,
    broker: BrokerDep,
    token: PageTokenDep,
    user_agent: Annotated[str | None, Header()] = None,
) -> Response:
    record = await _record(broker, token, request)
    provider = broker.provider(record.provider_id)
    return render(
        request,
        "computer/install.html",
        "install.title",
        provider=provider,
        on_phone=is_phone(user_agent),
        app_url=f"{broker.settings.broker_url}/app/",
    )


@router.get("/c/phone")
async def phone_page(request: Request, broker: BrokerDep, token: PageTokenDep) -> Response:
    """The invitation opened on a phone: the app's own start (its phases, the DigiD login), no QR code.
    A GET changes nothing (link previews fetch invitations too): the login button pairs this phone."""
    record = await _record(broker, token, request)
    if _finished(record):
        return RedirectResponse("/c/progress", status_code=303)
    provider = broker.provider(record.provider_id)
    return render(
        request,
        "computer/phone.html",
        "phone_start.title",
        provider=provider,
        sources=record.sources,
        partner=record.partner_mode != "off",
        app_phase="fetch",
    )


@router.post("/c/phone-start")
async def phone_start(
    request: Request, broker: BrokerDep, token: PageTokenDep, then: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    """Phone-only journey: this page is open on the phone itself, so it becomes the app without a QR
    (``then=digid``: straight on to the DigiD login, the app's first step)."""
    app_token = await broker.sessions.pairing.start_on_phone(token)
    target = "/app/digid/login" if then == "digid" else "/app/"
    return begin_app(request, app_token.reveal(), RedirectResponse(target, status_code=303))


@router.get("/c/qr")
async def qr_page(request: Request, broker: BrokerDep, token: PageTokenDep) -> Response:
    record = await _record(broker, token, request)
    provider = broker.provider(record.provider_id)
    if _finished(record):
        return RedirectResponse("/c/progress", status_code=303)
    scanned = record.pairing is not None and record.pairing.used
    if scanned:
        return render(request, "computer/confirm.html", "confirm.title", provider=provider, error=None)
    issued = await broker.sessions.pairing.issue(token)
    expires_at = issued.expires_at
    url = f"{broker.settings.broker_url}/app/pair?t={issued.token.reveal()}"
    # segno's mask search (a fixed mask would be ~10 ms cheaper): the chosen mask avoids
    # patterns that confuse decoders; with the fixed mask the e2e camera failed to read about 1 code in 40.
    # Scalable (a viewBox, no fixed size): it fills its box at any zoom and on any screen.
    qr = segno.make(url, error=QR_ERROR, micro=False, boost_error=False)
    svg: str = qr.svg_inline(scale=6, border=4, omitsize=True, dark="#000", light="#fff")
    refresh = max(10, int((expires_at - broker.now()).total_seconds()) - 15)
    return render(
        request,
        "computer/qr.html",
        "qr.title",
        provider=provider,
        record=record,
        qr_svg=svg,
        short_code=display_short_code(issued.short_code),
        pairing_tag=issued.tag,
        refresh_seconds=refresh,
        expires_in=int((expires_at - broker.now()).total_seconds()),
    )


@router.post("/c/confirm")
async def confirm(
    request: Request, broker: BrokerDep, token: PageTokenDep, code: Annotated[str, Form(max_length=20)]
) -> Response:
    record = await _record(broker, token, request)
    provider = broker.provider(record.provider_id)
    try:
        await broker.sessions.pairing.confirm(token, code)
    except SessionError as error:
        if error.code == "pairing_code_wrong":
            return render(
                request, "computer/confirm.html", "confirm.title", 400, provider=provider, error=error.code
            )
        raise
    return RedirectResponse("/c/progress", status_code=303)


@router.get("/c/progress")
async def progress(request: Request, broker: BrokerDep, token: PageTokenDep) -> Response:
    record = await _record(broker, token, request)
    provider = broker.provider(record.provider_id)
    return render(
        request,
        "computer/progress.html",
        "progress.title",
        provider=provider,
        record=record,
        state=record.state.value,
        return_url=provider.return_url_for(record.reference),
    )


@router.get("/c/status.json")
async def status_json(request: Request, broker: BrokerDep, token: PageTokenDep) -> Response:
    """Polling fallback for the progress page: state and counts only."""
    record = await _record(broker, token, request)
    body = {
        "state": record.state.value,
        "counts": record.counts(),
        "scanned": bool(record.pairing and record.pairing.used),
        "pairing": current_pairing_tag(record),  # a QR page whose code another tab replaced sees it change
        "seq": record.event_seq,
    }
    return Response(json.dumps(body), media_type="application/json")


@router.get("/c/events")
async def page_events(
    request: Request,
    broker: BrokerDep,
    token: PageTokenDep,
    last_event: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    record = await _record(broker, token, request)
    start = last_event_id(last_event, request.query_params.get("after"))
    request.scope[STREAMING] = True  # counted, not timed (web/metrics.py)
    return StreamingResponse(
        event_stream(broker, record.session_id, start, announce_reconnect=True),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
