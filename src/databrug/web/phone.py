"""The citizen's app on the phone (steps 7–11): pairing, DigiD, sources, partner, review, consent, done.

Server-rendered forms, so the journey works without JavaScript and a robot can drive it like a browser. The
phone holds three things in HttpOnly cookies: the app token, the per-session key that seals collected data
at rest (the store never has it), and — sealed under that key — its DigiD login state per person.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, replace
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from databrug.broker import Broker, BrokerError
from databrug.collection.review import review_groups
from databrug.consent import consent_statement
from databrug.identity.levels import Level
from databrug.identity.oidc import LoginRequest
from databrug.records import SOURCE_NAMES, Role, SourceName
from databrug.sessions.errors import PairingTokenInvalid, SessionError, SessionKeyInvalid, TokenInvalid
from databrug.sessions.model import SourceProgress, SourceStatus
from databrug.sessions.sealing import (
    decode_session_key,
    encode_session_key,
    new_session_key,
    open_sealed,
    seal,
)
from databrug.sessions.service import AppSession
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import AppToken, PairingToken
from databrug.sources.errors import SourceError
from databrug.sources.parsing import MAX_DOCUMENT_BYTES
from databrug.sources.upload import parse_upload
from databrug.web import pairing_codes
from databrug.web.context import language, render, set_private_cookie
from databrug.web.errors import CATALOGUE, status_for
from databrug.web.i18n import translate
from databrug.web.provider_api import broker_of
from databrug.web.request_limits import SMALL_FORMS, form_file, read_body

router = APIRouter(prefix="/app", include_in_schema=False, form_limits=SMALL_FORMS)

APP_COOKIE = "dba"
KEY_COOKIE = "dbk"
LOGIN_COOKIE = "dbl"
AUTH_COOKIE = "dbd_{role}"
COOKIE_PATH = "/app"
DIGID_LEVEL: Level = "midden"
"""The least a DigiD login must assert (SMS check): the broker's rule, never read back from a cookie."""
BrokerDep = Annotated[Broker, Depends(broker_of)]

UPLOAD_DOCUMENT_BYTES = min(MAX_DOCUMENT_BYTES, 4 * 1024 * 1024)
"""The largest document a citizen may upload. The real ones are tens of KB; 4 MiB keeps an upload's memory
(body, document, parse) far under the 64 MiB one request may add to the broker."""
UPLOAD_BODY_BYTES = UPLOAD_DOCUMENT_BYTES + 16 * 1024  # the multipart framing and the part's headers

S = SessionState
_APPLICANT_STATES = {S.PAIRED, S.AUTHENTICATED, S.COLLECTING}
_PARTNER_STATES = {S.PARTNER_PENDING, S.PARTNER_AUTHENTICATED, S.PARTNER_COLLECTING}
_AFTER_CONSENT = {S.CONSENTED, S.DELIVERED, S.ACKNOWLEDGED}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def begin_app(request: Request, app_token: str, response: Response) -> Response:
    """Give this phone its app token and a fresh session key (never stored by the broker)."""
    set_private_cookie(request, response, APP_COOKIE, app_token, COOKIE_PATH)
    set_private_cookie(request, response, KEY_COOKIE, encode_session_key(new_session_key()), COOKIE_PATH)
    return response


@dataclass(frozen=True)
class Phone:
    app: AppSession
    key: bytes
    token: AppToken

    @property
    def state(self) -> SessionState:
        return self.app.record.state


async def phone(request: Request, broker: BrokerDep) -> Phone:
    token = AppToken.parse(request.cookies.get(APP_COOKIE, ""))
    try:
        key = decode_session_key(request.cookies.get(KEY_COOKIE, ""))
    except SessionKeyInvalid:
        raise TokenInvalid() from None  # a phone without its key is not this session's phone
    return Phone(app=await broker.sessions.app_session(token), key=key, token=token)


PhoneDep = Annotated[Phone, Depends(phone)]


def _current_role(state: SessionState) -> Role:
    return "partner" if state in _PARTNER_STATES else "applicant"


def _sealed_cookie(phone: Phone, name: str, value: dict[str, Any]) -> str:
    sealed = seal(phone.key, phone.app.session_id, name, json.dumps(value).encode("utf-8"))
    return _b64(bytes(sealed))


def _open_cookie(phone: Phone, name: str, raw: str | None) -> dict[str, Any] | None:
    """A cookie sealed by ``_sealed_cookie``. Sealing keeps out everyone but the phone, which holds the key:
    what it sends is checked for shape by the reader, like any input."""
    if not raw:
        return None
    try:
        value = json.loads(open_sealed(phone.key, phone.app.session_id, name, _unb64(raw)))
    except (SessionError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


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
    client = request.client.host if request.client else "unknown"
    await broker.sessions.check_rate(f"pair:{client}", broker.settings.pairing_attempts_per_minute, 60)
    grant = await broker.sessions.pair(await _pairing_token(broker, t))
    response = RedirectResponse("/app/pairing", status_code=303)
    begin_app(request, grant.app_token.reveal(), response)
    set_private_cookie(request, response, "dbc", grant.code, COOKIE_PATH)
    return response


async def _pairing_token(broker: Broker, typed: str) -> PairingToken:
    """What the QR code carries (the link or its token), or the short code typed from the computer screen."""
    text = typed.strip()
    if "t=dbq_" in text:
        text = text.split("t=", 1)[1].split("&", 1)[0]
    if text.startswith(PairingToken.prefix):
        return PairingToken.parse(text)
    code = pairing_codes.normalise(text)
    if code is None:
        raise PairingTokenInvalid()
    return await pairing_codes.resolve(broker.sessions.store, broker.secret, code)


@router.get("/pairing")
async def pairing(request: Request, broker: BrokerDep) -> Response:
    """The phone shows its code until the computer confirms it."""
    token = AppToken.parse(request.cookies.get(APP_COOKIE, ""))
    if await broker.sessions.phone_pairing_state(token) == "confirmed":
        response = RedirectResponse("/app/sources", status_code=303)
        response.delete_cookie("dbc", path=COOKIE_PATH)
        return response
    code = request.cookies.get("dbc", "")
    return render(request, "phone/code.html", "code.title", code=f"{code[:3]} {code[3:]}")


# -- DigiD


@router.get("/digid/login")
async def digid_login(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    role = _current_role(current.state)
    redirect_uri = f"{broker.settings.broker_url()}/app/digid/callback"
    url, login = await broker.digid.start(redirect_uri, minimum=DIGID_LEVEL)
    response = RedirectResponse(url, status_code=303)
    value = {"role": role, **login.to_dict()}
    set_private_cookie(
        request, response, LOGIN_COOKIE, _sealed_cookie(current, LOGIN_COOKIE, value), COOKIE_PATH
    )
    return response


@router.get("/digid/callback")
async def digid_callback(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    role, started = _pending_login(_open_cookie(current, LOGIN_COOKIE, request.cookies.get(LOGIN_COOKIE)))
    login = await broker.digid.finish(dict(request.query_params), started)
    if role == "partner":
        expected = await broker.expected_partner(current.app, current.key)
        applicant = _auth(request, current, "applicant")
        if (expected is not None and login.bsn != expected) or (applicant and applicant["bsn"] == login.bsn):
            raise BrokerError("partner_mismatch", "this DigiD login is not the partner found in the data")
    else:
        earlier = _auth(request, current, "applicant")
        if earlier and earlier["bsn"] != login.bsn:
            raise BrokerError("partner_mismatch", "another person logged in than before")
    await broker.sessions.mark_authenticated(
        current.app, role, login.level if login.level != "hoog" else "substantieel"
    )
    response = RedirectResponse("/app/sources", status_code=303)
    auth = {"bsn": login.bsn, "token": login.access_token, "exp": login.expires_at}
    name = AUTH_COOKIE.format(role=role)
    set_private_cookie(request, response, name, _sealed_cookie(current, name, auth), COOKIE_PATH)
    response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)
    return response


def _pending_login(pending: dict[str, Any] | None) -> tuple[Role, LoginRequest]:
    """Whose DigiD login this phone started, and its state, from the sealed login cookie. The phone holds
    the key that seals it, so the required level comes from the broker's rule, not from the cookie."""
    role = pending.get("role") if pending else None
    if pending is not None and role in ("applicant", "partner"):
        try:
            return role, replace(LoginRequest.from_dict(pending), minimum=DIGID_LEVEL)
        except (KeyError, TypeError, ValueError):
            pass
    raise BrokerError("digid_state_invalid", "this DigiD answer does not belong to a login on this phone")


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
        uploaded=await _uploaded_sources(broker, current, role, statuses) if logged_in else set(),
        known_errors=CATALOGUE,
    )


async def _uploaded_sources(
    broker: Broker, current: Phone, role: Role, statuses: dict[SourceName, SourceProgress | None]
) -> set[SourceName]:
    """Sources whose data came from a document the citizen uploaded, so the list can say so."""
    uploaded: set[SourceName] = set()
    for source, progress in statuses.items():
        if progress is None or progress.status is not SourceStatus.DONE:
            continue
        if await broker.uploaded(current.app, current.key, role, source):
            uploaded.add(source)
    return uploaded


def _credentials(request: Request, current: Phone) -> tuple[Role, str, str]:
    role = _current_role(current.state)
    auth = _auth(request, current, role)
    if auth is None:
        raise BrokerError("digid_token_invalid", "log in with DigiD again")
    return role, str(auth["token"]), str(auth["bsn"])


def _source(name: str, current: Phone) -> SourceName:
    if name not in SOURCE_NAMES or name not in current.app.record.sources:
        raise BrokerError("not_found", "this source is not part of the session")
    return name


@router.post("/sources/{name}/fetch")
async def fetch_source(request: Request, name: str, broker: BrokerDep, current: PhoneDep) -> Response:
    source = _source(name, current)
    role, token, bsn = _credentials(request, current)
    await broker.collect(current.app, current.key, role, source, token, bsn)
    return RedirectResponse(f"/app/sources#{source}", status_code=303)


@router.post("/fetch-all")
async def fetch_all(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    role, token, bsn = _credentials(request, current)
    progress = current.app.record.subjects.get(role)
    todo = [
        s
        for s in current.app.record.sources
        if not (progress and s in progress.sources and progress.sources[s].status is SourceStatus.DONE)
    ]
    await asyncio.gather(*(broker.collect(current.app, current.key, role, s, token, bsn) for s in todo))
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
    role, _, bsn = _credentials(request, current)
    body = await read_body(request, UPLOAD_BODY_BYTES)
    data = form_file(body, request.headers.get("content-type"), "document")
    del body  # the document is a copy: one of the two is enough from here
    if len(data) > UPLOAD_DOCUMENT_BYTES:
        raise BrokerError("payload_too_large", f"a document may be at most {UPLOAD_DOCUMENT_BYTES} bytes")
    try:
        parsed = await asyncio.to_thread(
            parse_upload, data, source=source, subject=role, filename="upload", subject_bsn=bsn
        )
    except SourceError as error:
        await broker.sessions.source_failed(current.app, role, source, error.code)
        return RedirectResponse(
            f"/app/sources?upload_error={error.code}&source={source}#{source}", status_code=303
        )
    await broker.upload(current.app, current.key, role, source, parsed, data)
    return RedirectResponse(f"/app/sources#{source}", status_code=303)


@router.post("/next")
async def next_step(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    """The person is done with their sources: on to the partner, or to the review."""
    record = current.app.record
    if current.state in _APPLICANT_STATES:
        needs_partner = record.partner_mode == "required" or (
            record.partner_mode == "optional"
            and await broker.expected_partner(current.app, current.key) is not None
        )
        if needs_partner:
            await broker.sessions.require_partner(current.app)
            return RedirectResponse("/app/sources", status_code=303)
    await broker.sessions.to_review(current.app)
    return RedirectResponse("/app/review", status_code=303)


# -- review, consent, done


@router.get("/review")
async def review(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    if current.state is not S.REVIEW:
        return RedirectResponse(_next_page(current.state), status_code=303)
    provider = broker.provider(current.app.record.provider_id)
    lang = language(request)
    people: list[dict[str, Any]] = []
    subjects = []
    for role in ("applicant", "partner"):
        if (
            role not in current.app.record.subjects
            or current.app.record.subjects[role].authenticated_at is None
        ):
            continue
        subject, entries, _ = await broker.subject_data(current.app, current.key, role)
        subjects.append(subject)
        statement = consent_statement(provider.display_name, entries, lang) if entries else None
        people.append({"role": role, "subject": subject, "statement": statement})
    return render(
        request,
        "phone/review.html",
        "review.title",
        provider=provider,
        groups=review_groups(subjects),
        people=people,
    )


@router.post("/consent")
async def consent(
    request: Request,
    broker: BrokerDep,
    current: PhoneDep,
    consent_applicant: Annotated[str | None, Form()] = None,
    consent_partner: Annotated[str | None, Form()] = None,
) -> Response:
    consenting: list[Role] = []
    if consent_applicant == "yes":
        consenting.append("applicant")
    if consent_partner == "yes":
        consenting.append("partner")
    _, receipt = await broker.deliver(current.app, current.key, language(request), consenting)
    response = RedirectResponse("/app/done", status_code=303)
    sealed = seal(current.key, current.app.session_id, "receipt", receipt.to_json())
    await broker.sessions.store.put_blob(current.app.session_id, "receipt", sealed)
    return response


@router.post("/decline")
async def decline(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    await broker.sessions.cancel_by_citizen(current.app)
    return render(request, "phone/declined.html", "declined.title")


@router.get("/done")
async def done(request: Request, broker: BrokerDep, current: PhoneDep) -> Response:
    provider = broker.provider(current.app.record.provider_id)
    return render(request, "phone/done.html", "done.title", provider=provider)


@router.get("/receipt")
async def receipt(
    request: Request, broker: BrokerDep, current: PhoneDep, format: Literal["json", "text"] = "text"
) -> Response:
    sealed = await broker.sessions.store.get_blob(current.app.session_id, "receipt")
    if sealed is None:
        raise BrokerError("not_found", "the receipt is no longer available")
    data = open_sealed(current.key, current.app.session_id, "receipt", sealed)
    if format == "json":
        return Response(
            data, media_type="application/json", headers=_download("databrug-ontvangstbewijs.json")
        )
    from databrug.consent import ConsentReceipt

    text = ConsentReceipt.model_validate_json(data).to_text(language(request))
    return Response(
        text, media_type="text/plain; charset=utf-8", headers=_download("databrug-ontvangstbewijs.txt")
    )


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
