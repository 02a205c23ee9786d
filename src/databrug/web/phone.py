"""The citizen's app on the phone (steps 7–11): pairing, DigiD, sources, partner, review, consent, done.

Server-rendered forms, so the journey works without JavaScript and a robot can drive it like a browser. The
phone holds three things in HttpOnly cookies: the app token, the per-session key that seals collected data
at rest (the store never has it), and — sealed under that key — its DigiD login state per person.
"""

# Over 400 lines on purpose: every route of the phone app's one journey, HTTP only (the rules live in
# broker/); split by step, each file would repeat the same dependencies and redirects.

from __future__ import annotations

import asyncio
import json
import time
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from databrug.broker import (
    AppToken,
    Broker,
    BrokerError,
    ConsentReceipt,
    OutcomeConsent,
    SessionError,
    SessionState,
    SourceStatus,
    consent_statement,
)
from databrug.broker.collect import UPLOAD_DOCUMENT_BYTES
from databrug.broker.login import LoginPurpose
from databrug.broker.review import PersonData
from databrug.broker.review_summary import review_groups
from databrug.broker.vault import RECEIPT_GROUPS, Deletion, dutch_time, open_value, receipt_pdf, seal_value
from databrug.records import SOURCE_NAMES, Role, SourceName
from databrug.records.consent import CONSENT_LOGIN_WINDOW
from databrug.records.package import PARTNER_ABSENT_REASONS
from databrug.web.context import language, remember_session, render, set_private_cookie
from databrug.web.cross_site import origin_of
from databrug.web.deps import (
    APP_COOKIE,
    AUTH_COOKIE,
    COOKIE_PATH,
    LOGIN_COOKIE,
    BrokerDep,
    Phone,
    PhoneDep,
    begin_app,
    phone,
)
from databrug.web.errors import CATALOGUE, status_for
from databrug.web.i18n import translate
from databrug.web.request_limits import SMALL_FORMS, form_file, read_body
from databrug.web.review_format import ReviewWords
from databrug.web.security import csp_with_form_target

router = APIRouter(prefix="/app", include_in_schema=False, form_limits=SMALL_FORMS)

UPLOAD_BODY_BYTES = UPLOAD_DOCUMENT_BYTES + 16 * 1024  # the multipart framing and the part's headers

S = SessionState
_APPLICANT_STATES = {S.PAIRED, S.AUTHENTICATED, S.COLLECTING}
_PARTNER_STATES = {S.PARTNER_PENDING, S.PARTNER_AUTHENTICATED, S.PARTNER_COLLECTING}
_AFTER_CONSENT = {S.CONSENTED, S.DELIVERED, S.ACKNOWLEDGED}


def _current_role(state: SessionState) -> Role:
    return "partner" if state in _PARTNER_STATES else "applicant"


def _sealed_cookie(phone: Phone, name: str, value: dict[str, Any]) -> str:
    return seal_value(phone.key, phone.app.session_id, name, value)


def _open_cookie(phone: Phone, name: str, raw: str | None) -> dict[str, Any] | None:
    return open_value(phone.key, phone.app.session_id, name, raw)


def _auth(request: Request, phone: Phone, role: Role) -> dict[str, Any] | None:
    name = AUTH_COOKIE.format(role=role)
    auth = _open_cookie(phone, name, request.cookies.get(name))
    if auth is None or not all(isinstance(auth.get(field), str) for field in ("bsn", "token")):
        return None
    expires = auth.get("exp")
    if not isinstance(expires, int | float) or expires < time.time():
        return None
    return auth


# -- the installable app: manifest and service worker (static files only; see static/sw.js)


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    lang = language(request)
    icons = [
        {"src": f"/static/icons/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ] + [
        {
            "src": f"/static/icons/icon-maskable-{size}.png",
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in (192, 512)
    ]
    body = {
        "name": translate(lang, "manifest.name"),
        "short_name": translate(lang, "brand.name"),
        "description": translate(lang, "manifest.description"),
        "lang": lang,
        "id": "/app/",
        "start_url": "/app/",
        "scope": "/app/",
        "display": "standalone",
        "display_override": ["fullscreen", "standalone"],
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#154273",
        "icons": icons,
    }
    return Response(
        json.dumps(body, ensure_ascii=False),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/sw.js")
async def service_worker() -> Response:
    """Served under /app/ so it may control the app's pages (a worker's scope is its own folder)."""
    script = resources.files("databrug.web").joinpath("static/sw.js").read_bytes()
    return Response(script, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/error/{code}")
async def error_page(request: Request, code: str) -> Response:
    """An error screen by its code: where the language switch of an error page leads when the page itself
    came from a form post or a single-use DigiD answer (which cannot be fetched again)."""
    if code not in CATALOGUE:
        raise BrokerError("not_found", "no such error code")
    return render(request, "error.html", f"error.{code}.title", status_code=status_for(code), code=code)


# -- pairing


@router.get("/")
async def home(request: Request, broker: BrokerDep) -> Response:
    """The app's start: continue a paired session, or scan a QR code."""
    try:
        current = await phone(request, broker)
    except SessionError:
        return render(request, "phone/scan.html", "scan.title")
    return RedirectResponse(_next_page(current.state), status_code=303)


def _next_page(state: SessionState) -> str:
    if state in _AFTER_CONSENT:
        return "/app/done"
    if state is S.REVIEW:
        return "/app/review"
    return "/app/sources"


@router.get("/pair")
async def pair_page(request: Request, t: Annotated[str, Query(max_length=80)] = "") -> Response:
    """Where the QR points. A GET never uses the single-use token (link previews would); the form does."""
    return render(request, "phone/pair.html", "pair.title", token=t)


@router.post("/pair")
async def pair(request: Request, broker: BrokerDep, t: Annotated[str, Form(max_length=80)]) -> Response:
    # Two limits: per address (the real client's behind a trusted proxy, web/server.py), wide enough for a
    # NAT full of citizens; and per pairing, so a QR code hammered from many addresses is held up too.
    client = request.client.host if request.client else "unknown"
    limits, rates = broker.settings, broker.sessions
    await rates.check_rate(f"pair:{client}", limits.pairing_attempts_per_minute, 60)
    token = await broker.sessions.pairing.token_for(t)
    await rates.check_rate(f"pair-token:{token.hash}", limits.pairing_attempts_per_token_per_minute, 60)
    grant = await broker.sessions.pairing.pair(token)
    response = RedirectResponse("/app/pairing", status_code=303)
    begin_app(request, grant.app_token.reveal(), response)
    set_private_cookie(request, response, "dbc", grant.code, COOKIE_PATH)
    return response


@router.get("/pairing")
async def pairing(request: Request, broker: BrokerDep) -> Response:
    """The phone shows its code until the computer confirms it."""
    token = AppToken.parse(request.cookies.get(APP_COOKIE, ""))
    state, record = await broker.sessions.pairing.phone_status(token)
    remember_session(request, record)  # the code screen speaks the session's language too
    if state == "confirmed":
        response = RedirectResponse("/app/sources", status_code=303)
        response.delete_cookie("dbc", path=COOKIE_PATH)
        return response
    code = request.cookies.get("dbc", "")
    return render(request, "phone/code.html", "code.title", code=f"{code[:3]} {code[3:]}")


# -- DigiD


@router.get("/digid/login")
async def digid_login(
    request: Request,
    broker: BrokerDep,
    current: PhoneDep,
    role: Annotated[Role | None, Query()] = None,
    purpose: Annotated[LoginPurpose, Query()] = "collect",
) -> Response:
    """A DigiD login for the person whose step this is, or (``purpose=consent``, from the review) a new
    login of ``role`` so that their consent follows their own login; the role and purpose are kept in the
    sealed pending state and checked again when the login is recorded."""
    if purpose == "collect":
        role = _current_role(current.state)
    elif role is None:
        raise BrokerError("invalid_request", "say whose login this is")
    url, pending = await broker.start_login(current.app, role, purpose)
    response = RedirectResponse(url, status_code=303)
    set_private_cookie(
        request, response, LOGIN_COOKIE, _sealed_cookie(current, LOGIN_COOKIE, pending), COOKIE_PATH
    )
    return response


@router.get("/digid/callback")
async def digid_callback(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    pending = _open_cookie(current, LOGIN_COOKIE, request.cookies.get(LOGIN_COOKIE))
    role, purpose, login = await broker.finish_login(
        current.app, current.key, dict(request.query_params), pending
    )
    response = RedirectResponse("/app/review" if purpose == "consent" else "/app/sources", status_code=303)
    auth = {"bsn": login.bsn, "token": login.access_token, "exp": login.expires_at}
    name = AUTH_COOKIE.format(role=role)
    set_private_cookie(request, response, name, _sealed_cookie(current, name, auth), COOKIE_PATH)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


# -- sources


@router.get("/sources")
async def sources(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    if current.state not in _APPLICANT_STATES | _PARTNER_STATES:
        return RedirectResponse(_next_page(current.state), status_code=303)
    role = _current_role(current.state)
    provider = broker.provider(current.app.record.provider_id)
    logged_in = _auth(request, current, role) is not None and current.state not in (
        S.PAIRED,
        S.PARTNER_PENDING,
    )
    progress = current.app.record.subjects.get(role)
    statuses = {
        src: (progress.sources[src] if progress and src in progress.sources else None)
        for src in current.app.record.sources
    }
    finished = logged_in and all(
        s is not None and s.status in (SourceStatus.DONE, SourceStatus.SKIPPED) for s in statuses.values()
    )
    failed = [src for src, s in statuses.items() if s is not None and s.status is SourceStatus.FAILED]
    return render(
        request,
        "phone/sources.html",
        "sources.title",
        provider=provider,
        role=role,
        logged_in=logged_in,
        statuses=statuses,
        optional=set(provider.optional_sources),
        finished=finished,
        failed=failed,
        uploaded=await broker.uploaded_sources(current.app, current.key, role) if logged_in else set(),
        partner_skippable=_partner_skippable(current),
        partner_absent_reasons=[r for r in PARTNER_ABSENT_REASONS if r != "skipped"],
        known_errors=CATALOGUE,
        health=await broker.sources_health(best_effort=True) if logged_in else {},
    )


def _credentials(request: Request, broker: Broker, current: Phone) -> tuple[Role, str, str]:
    """The current person's DigiD login from their cookie, its BSN checked against the session's record
    (the phone holds the key the cookie is sealed with, so the cookie alone proves nothing)."""
    role = _current_role(current.state)
    auth = _auth(request, current, role)
    if auth is None:
        raise BrokerError("digid_token_invalid", "log in with DigiD again")
    broker.check_subject(current.app, role, str(auth["bsn"]))
    return role, str(auth["token"]), str(auth["bsn"])


def _source(name: str, current: Phone) -> SourceName:
    if name not in SOURCE_NAMES or name not in current.app.record.sources:
        raise BrokerError("not_found", "this source is not part of the session")
    return name


@router.post("/sources/{name}/fetch")
async def fetch_source(request: Request, name: str, broker: BrokerDep, current: PhoneDep) -> Response:
    source = _source(name, current)
    role, token, bsn = _credentials(request, broker, current)
    await broker.collect(current.app, current.key, role, source, token, bsn)
    return RedirectResponse(f"/app/sources#{source}", status_code=303)


@router.post("/fetch-all")
async def fetch_all(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    role, token, bsn = _credentials(request, broker, current)
    await broker.collect_all(current.app, current.key, role, token, bsn)
    return RedirectResponse("/app/sources", status_code=303)


@router.post("/sources/{name}/skip")
async def skip_source(name: str, broker: BrokerDep, current: PhoneDep) -> Response:
    source = _source(name, current)
    provider = broker.provider(current.app.record.provider_id)
    if source not in provider.optional_sources:
        raise BrokerError("invalid_request", "this source is required by the provider")
    await broker.sessions.source_skipped(current.app, _current_role(current.state), source)
    return RedirectResponse("/app/sources", status_code=303)


@router.post("/sources/{name}/upload")
async def upload_source(request: Request, name: str, broker: BrokerDep, current: PhoneDep) -> Response:
    """The document the citizen downloaded themselves. Its body is read only after the phone's credentials
    checked out, and only into memory: no ``File()`` parameter, which FastAPI would read (and Starlette spool
    to disk) before any dependency ran."""
    source = _source(name, current)
    role, token, bsn = _credentials(request, broker, current)
    too_large = _upload_refused(source, "payload_too_large")
    body = await read_body(request, UPLOAD_BODY_BYTES, return_to=too_large)
    data = form_file(body, request.headers.get("content-type"), "document")
    del body  # the document is a copy: one of the two is enough from here
    if len(data) > UPLOAD_DOCUMENT_BYTES:
        return RedirectResponse(too_large, status_code=303)
    refused = await broker.upload(current.app, current.key, role, source, data, bsn, token)
    if refused is not None:
        return RedirectResponse(_upload_refused(source, refused), status_code=303)
    return RedirectResponse(f"/app/sources#{source}", status_code=303)


def _upload_refused(source: SourceName, code: str) -> str:
    """The sources page with the refusal shown at that source, its upload form open: nothing was kept, the
    citizen tries again (another file, or fetching) from there."""
    return f"/app/sources?upload_error={code}&source={source}#{source}"


@router.post("/next")
async def next_step(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    """The person is done with their sources: on to the partner, or to the review."""
    step = await broker.finish_sources(current.app, current.key, current.state in _APPLICANT_STATES)
    return RedirectResponse("/app/sources" if step == "partner" else "/app/review", status_code=303)


def _partner_skippable(current: Phone) -> bool:
    """A partner the provider neither requires nor expects (only the data name one) may simply be skipped."""
    record = current.app.record
    return record.partner_mode == "optional" and not record.partner_expected


@router.post("/partner/absent")
async def partner_absent(
    broker: BrokerDep, current: PhoneDep, reason: Annotated[str, Form(max_length=40)]
) -> Response:
    """The partner cannot log in now: on to the review without them, the chosen reason (a code) recorded
    for the caseworker; ``skipped`` for a partner who may simply be left out."""
    if reason not in PARTNER_ABSENT_REASONS:
        raise BrokerError("invalid_request", "choose one of the listed reasons")
    await broker.sessions.partner_absent(current.app, reason)
    return RedirectResponse("/app/review", status_code=303)


@router.post("/back")
async def back_to_sources(broker: BrokerDep, current: PhoneDep) -> Response:
    """From the review back to the last person's sources (nothing is consented yet, so nothing is lost)."""
    await broker.sessions.back_to_sources(current.app)
    return RedirectResponse("/app/sources", status_code=303)


# -- review, consent, done


@router.get("/review")
async def review(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    """What goes, to whom, for what and for how long; in outcome mode the outcome and its inputs first, and
    after "investigate" a separate choice to send the data too. Each person's statement is the one signed."""
    if current.state is not S.REVIEW:
        return RedirectResponse(_next_page(current.state), status_code=303)
    provider = broker.provider(current.app.record.provider_id)
    lang = language(request)
    words = ReviewWords(lang)
    found = await broker.people(current.app, current.key)
    groups = words.groups(review_groups([(person.subject, person.entries) for person in found]))
    terms = broker.consent_terms(current.app)
    preview = await broker.outcome_preview(current.app, current.key, found)
    send_data_offered = preview is not None and preview.advice.outcome == "investigate"

    def statement(person: PersonData, outcome: OutcomeConsent | None) -> str | None:
        name = person.subject.person.name if person.subject.person else None
        if not person.entries:
            return None
        return consent_statement(provider.display_name, person.entries, lang, name, outcome)

    only_outcome = with_data = None
    if preview is not None:
        only_outcome = OutcomeConsent(preview.rule_id, preview.rule_version)
        with_data = OutcomeConsent(preview.rule_id, preview.rule_version, with_data=True)
    people: list[dict[str, Any]] = [
        {
            "role": person.subject.role,
            "subject": person.subject,
            "statement": statement(person, only_outcome),
            "data_statement": statement(person, with_data) if send_data_offered else None,
        }
        for person in found
    ]
    return render(
        request,
        "phone/review.html",
        "review.title",
        provider=provider,
        groups=groups,
        people=people,
        terms=terms,
        shown_terms=words.terms(terms, broker.now()),
        outcome=words.outcome(preview, provider.display_name) if preview is not None else None,
        send_data_offered=send_data_offered,
        renew=broker.logins_to_renew(current.app),
        partner_absent=current.app.record.partner_absent,
        login_window_minutes=int(CONSENT_LOGIN_WINDOW.total_seconds() // 60),
    )


@router.post("/consent")
async def consent(
    request: Request,
    broker: BrokerDep,
    current: PhoneDep,
    consent_applicant: Annotated[str | None, Form(max_length=8)] = None,
    consent_partner: Annotated[str | None, Form(max_length=8)] = None,
    send_data: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    """Each person's own box, each with the BSN of that person's login on this phone (checked by the broker
    against the session, and the login's age against the consent window). ``send_data=1``: the data go with
    the outcome, which the broker allows only after the outcome "investigate"."""
    consenting: dict[Role, str | None] = {}
    boxes: dict[Role, str | None] = {"applicant": consent_applicant, "partner": consent_partner}
    for role, agreed in boxes.items():
        if agreed == "yes":
            auth = _auth(request, current, role)
            consenting[role] = str(auth["bsn"]) if auth is not None else None
    if send_data not in (None, "1"):
        raise BrokerError("invalid_request", "send_data is 1 or absent")
    await broker.deliver(current.app, current.key, language(request), consenting, send_data=send_data == "1")
    return RedirectResponse("/app/done", status_code=303)


@router.post("/decline")
async def decline(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    await broker.sessions.cancel_by_citizen(current.app)
    return render(request, "phone/declined.html", "declined.title")


@router.get("/done")
async def done(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    """The receipt the citizen keeps: what went to whom and when, per person and group, what the provider
    committed to (retention, third parties, privacy statement), the erasure code with a form that takes it to
    the provider, and once the provider collected the package the broker's signed deletion receipt. Readable
    until the session's record ends."""
    if current.state not in _AFTER_CONSENT:
        return RedirectResponse(_next_page(current.state), status_code=303)
    provider = broker.provider(current.app.record.provider_id)
    lang = language(request)
    words = ReviewWords(lang)
    receipt, deletion = await _receipts(broker, current)
    erasure = receipt.erasure if receipt is not None else None
    # the erasure form posts to the provider's page: only to a URL whose origin the page's CSP can name
    form_csp = None
    if erasure is not None and erasure.erasure_url:
        form_csp = csp_with_form_target(origin_of(erasure.erasure_url))
    response = render(
        request,
        "phone/done.html",
        "done.title",
        provider=provider,
        receipt=receipt,
        deletion=deletion,
        groups=RECEIPT_GROUPS,
        sent_at=dutch_time(receipt.sent_at, lang) if receipt else None,
        deleted_at=dutch_time(deletion.deleted_at, lang) if deletion else None,
        return_url=provider.return_url_for(current.app.record.reference),
        paired_via=current.app.record.paired_via,
        erasure=erasure,
        erasure_action=erasure.erasure_url if erasure is not None and form_csp is not None else None,
        retention=words.retention(erasure.provider_name, erasure.retention_days, receipt.sent_at)
        if erasure is not None and receipt is not None
        else None,
        third_parties=words.third_parties(erasure.provider_name, erasure.third_parties) if erasure else None,
        purpose_title=broker.consent_terms(current.app).title_in(lang)
        if erasure and erasure.purpose
        else None,
        sent_outcome=_sent_outcome(receipt, words),
    )
    if form_csp is not None:
        response.headers["content-security-policy"] = form_csp
    return response


def _sent_outcome(receipt: ConsentReceipt | None, words: ReviewWords) -> dict[str, Any] | None:
    """Which outcome went (outcome-only delivery), and whether the data went with it, from the receipt."""
    if receipt is None or receipt.outcome is None:
        return None
    return {"word": words.t(f"outcome.{receipt.outcome.outcome}"), "with_data": receipt.outcome.with_data}


async def _receipts(broker: Broker, current: Phone) -> tuple[ConsentReceipt | None, Deletion | None]:
    data = await broker.consent_receipt(current.app, current.key)
    receipt = None if data is None else ConsentReceipt.model_validate_json(data)
    return receipt, await broker.vault.load_deletion_receipt(current.app, broker.receipt_keys())


@router.get("/receipt")
async def receipt(
    request: Request,
    broker: BrokerDep,
    current: PhoneDep,
    format: Literal["pdf", "json", "text", "deletion"] = "pdf",
) -> Response:
    consent_receipt, deletion = await _receipts(broker, current)
    if consent_receipt is None:
        raise BrokerError("not_found", "the receipt is no longer available")
    if format == "json":
        return Response(
            consent_receipt.to_json(),
            media_type="application/json",
            headers=_download("databrug-ontvangstbewijs.json"),
        )
    if format == "deletion":
        if deletion is None:
            raise BrokerError("not_found", "the provider has not collected the package yet")
        return Response(
            deletion.signed, media_type="application/jose", headers=_download("databrug-verwijderbewijs.jws")
        )
    if format == "text":
        return Response(
            consent_receipt.to_text(language(request)),
            media_type="text/plain; charset=utf-8",
            headers=_download("databrug-ontvangstbewijs.txt"),
        )
    pdf = await asyncio.to_thread(receipt_pdf, consent_receipt, language(request), deletion)
    return Response(pdf, media_type="application/pdf", headers=_download("databrug-ontvangstbewijs.pdf"))


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
