"""The provider demo's FastAPI app: public site, back office, webhook receiver.

Every POST form carries a CSRF token: the login session's token in the back office, a double-submit cookie
on the public pages and the login form. Cookies are HttpOnly and SameSite; cases are addressed by opaque ids
and no personal data goes into URLs or log lines.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from databrug.provider.accounts import (
    Login,
    LoginThrottle,
    csrf_ok,
    current_login,
    log_in,
    log_out,
    same_secret,
)
from databrug.provider.cases import DECISION_REASONS, STATUSES, Application, ApplicationInvalid
from databrug.provider.eligibility import MunicipalitySettings, load_norms
from databrug.provider.eligibility.model import Advice
from databrug.provider.intake import open_package, reassess
from databrug.provider.municipalities import (
    DEFAULT_CODE,
    by_code,
    municipalities,
    save_settings,
    settings_for,
)
from databrug.provider.services import ProviderServices
from databrug.provider.web.dossier import income_chart_svg, monthly_income, provenance
from databrug.provider.web.i18n import LANGUAGES, Language, pick_language, translate
from databrug.provider.web.unhandled import AnswerUnhandled, ContainedFastAPI
from databrug.sdk import DatabrugError

log = logging.getLogger("databrug.provider.web")

SESSION_COOKIE = "gv_session"
CSRF_COOKIE = "gv_csrf"
LANG_COOKIE = "gv_lang"
MAX_FORM_FIELDS = 40
MAX_WEBHOOK_BYTES = 64 * 1024  # the broker's events are a few hundred bytes


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to be over ``limit`` bytes: a declared length is
    checked first, a chunked body is counted as it streams and not read further."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("databrug.provider.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    return env


@pass_context
def _money(context: Any, value: object) -> str:
    """€ 1.401,50 in Dutch, € 1,401.50 in English; "–" for no value."""
    if value is None:
        return "–"
    text = f"{Decimal(str(value)):,.2f}"
    if context.get("lang") == "nl":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"€ {text}"


def create_provider_app(services: ProviderServices) -> FastAPI:
    app = ContainedFastAPI(
        title="Gezondverzekerd (demo provider)",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # no OpenTelemetry export of requests and exception messages: the dossiers are personal data
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    env = _env()
    settings = services.settings
    throttle = LoginThrottle()
    app.mount("/static", StaticFiles(packages=[("databrug.provider.web", "static")]), name="static")

    def language(request: Request) -> Language:
        return pick_language(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"),
        )

    def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = language(request)

        def t(key: str, **params: object) -> str:
            return translate(lang, key, **params)

        path = request.url.path
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        html = env.get_template(template).render(
            lang=lang,
            t=t,
            languages=[(code, translate(code, "language.name"), f"{path}?lang={code}") for code in LANGUAGES],
            anon_csrf=csrf,
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=settings.secure_cookies
            )
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", secure=settings.secure_cookies)
        return response

    async def form_of(request: Request) -> dict[str, str]:
        try:
            form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
        except (
            UnicodeError
        ):  # Starlette decodes with the charset the request names; punycode & co. raise this
            raise HTTPException(400, "the form is not in a text encoding") from None
        return {k: v for k, v in form.items() if isinstance(v, str)}

    def anon_csrf_ok(request: Request, form: dict[str, str]) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE)
        return bool(cookie) and same_secret(cookie or "", form.get("csrf", ""))

    def who(request: Request) -> Login | None:
        with services.db.session() as db:
            return current_login(db, request.cookies.get(SESSION_COOKIE))

    def to_login() -> RedirectResponse:
        return RedirectResponse("/backoffice/login", status_code=303)

    def forbidden(request: Request) -> HTMLResponse:
        return render(request, "error.html", status=403, message_key="error.csrf")

    async def internal_error(request: Request, error: Exception | None = None) -> Response:
        if request.url.path.startswith("/webhooks"):
            return Response("retry", status_code=500, media_type="text/plain")  # the broker retries a 5xx
        return render(request, "error.html", status=500, message_key="error.internal")

    # AnswerUnhandled first, so it is the innermost middleware and its answer gets the security headers;
    # Starlette uses the handler for an error in a middleware outside it (ContainedFastAPI then logs that).
    app.add_middleware(AnswerUnhandled, answer=internal_error)
    app.add_exception_handler(Exception, internal_error)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
            "form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    # ---------------------------------------------------------------- public site
    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        return render(request, "public/home.html", municipalities=municipalities())

    @app.get("/aanvragen", response_class=HTMLResponse)
    async def apply_form(request: Request) -> HTMLResponse:
        chosen = _municipality(request.query_params.get("gemeente", ""))
        return render(
            request,
            "public/apply.html",
            municipalities=municipalities(),
            chosen=chosen,
            values={},
            errors=[],
        )

    @app.post("/aanvragen", response_model=None)
    async def apply_submit(request: Request) -> Response:
        form = await form_of(request)
        if not anon_csrf_ok(request, form):
            return forbidden(request)
        chosen = _municipality(form.get("gemeente", ""))
        try:
            children = int(form.get("children", "0") or "0")
        except ValueError:
            children = -1
        application = Application(
            municipality_code=chosen.code if chosen else "",
            name=form.get("name", ""),
            email=form.get("email", ""),
            phone=form.get("phone") or None,
            partner=form.get("partner") == "yes",
            children=children,
            language=language(request),
        )
        if form.get("consent") != "yes":
            problems = [*application.problems(), "consent"]
        else:
            problems = application.problems()
        if problems:
            return render(
                request,
                "public/apply.html",
                status=422,
                municipalities=municipalities(),
                chosen=chosen,
                values=form,
                errors=problems,
            )
        try:
            _, sent = await run_in_threadpool(services.cases.apply, application)
        except ApplicationInvalid as invalid:  # pragma: no cover - checked above
            return render(
                request,
                "public/apply.html",
                status=422,
                municipalities=municipalities(),
                chosen=chosen,
                values=form,
                errors=invalid.fields,
            )
        return RedirectResponse(f"/aanvraag-ontvangen?sent={'1' if sent else '0'}", status_code=303)

    @app.get("/aanvraag-ontvangen", response_class=HTMLResponse)
    async def confirmation(request: Request) -> HTMLResponse:
        return render(request, "public/confirmation.html", sent=request.query_params.get("sent") == "1")

    # ---------------------------------------------------------------- webhook
    @app.post("/webhooks/databrug")
    async def webhook(request: Request) -> Response:
        body = await _body_within(request, MAX_WEBHOOK_BYTES)
        if body is None:
            # close rather than read (and throw away) the rest of the body
            return Response(
                "too large", status_code=413, media_type="text/plain", headers={"Connection": "close"}
            )
        status, text = await run_in_threadpool(services.intake.handle_webhook, dict(request.headers), body)
        return (
            Response(text, status_code=status, media_type="text/plain")
            if status != 204
            else Response(status_code=204)
        )

    # ---------------------------------------------------------------- back office: login
    @app.get("/backoffice/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> HTMLResponse:
        return render(request, "backoffice/login.html", failed=False)

    @app.post("/backoffice/login", response_model=None)
    async def login_submit(request: Request) -> Response:
        form = await form_of(request)
        if not anon_csrf_ok(request, form):
            return forbidden(request)

        username = form.get("username", "")[:64]

        def attempt() -> str | None:
            if throttle.blocked(username, time.monotonic()):
                return None
            with services.db.session() as db:
                return log_in(db, username, form.get("password", ""), settings.login_hours)

        token = await run_in_threadpool(attempt)
        if token is None:
            throttle.failed(username, time.monotonic())
            log.info("login failed")
            return render(request, "backoffice/login.html", status=401, failed=True)
        throttle.succeeded(username)
        response = RedirectResponse("/backoffice", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            max_age=settings.login_hours * 3600,
            path="/backoffice",
        )
        return response

    @app.post("/backoffice/logout", response_model=None)
    async def logout(request: Request) -> Response:
        login = who(request)
        form = await form_of(request)
        if login is not None and csrf_ok(login, form.get("csrf")):
            with services.db.session() as db:
                log_out(db, request.cookies.get(SESSION_COOKIE))
        response = to_login()
        response.delete_cookie(SESSION_COOKIE, path="/backoffice")
        return response

    # ---------------------------------------------------------------- back office: cases
    @app.get("/backoffice", response_class=HTMLResponse, response_model=None)
    async def case_list(request: Request) -> Response:
        login = who(request)
        if login is None:
            return to_login()
        status = request.query_params.get("status")
        all_cases = await run_in_threadpool(services.cases.all_cases)
        counts = Counter(c.status for c in all_cases)
        shown = [c for c in all_cases if status in (None, "") or c.status == status]
        return render(
            request,
            "backoffice/cases.html",
            login=login,
            cases=shown,
            counts=counts,
            statuses=STATUSES,
            filter_status=status,
            names=by_code(),
            now=datetime.now(UTC),
        )

    @app.get("/backoffice/cases/{case_id}", response_class=HTMLResponse, response_model=None)
    async def dossier(request: Request, case_id: str) -> Response:
        login = who(request)
        if login is None:
            return to_login()
        case = await run_in_threadpool(services.cases.get, case_id)
        if case is None:
            return render(request, "error.html", status=404, message_key="error.not_found")
        stored = await run_in_threadpool(services.cases.packages, case_id)
        package = None
        unreadable = False
        if stored:
            try:
                package = await run_in_threadpool(open_package, stored[0], services.link.private_jwks)
            except DatabrugError as error:  # e.g. sealed to keys this provider no longer holds
                log.warning("stored package not readable case=%s code=%s", case_id, error.code)
                unreadable = True
        advice = Advice.model_validate(case.advice) if case.advice else None
        charts = {}
        if package is not None:
            for subject in package.subjects:
                ends = [p.end for r in subject.incomes.relations for p in r.periods]
                series = monthly_income(subject, max(ends, default=package.created_at.date()))
                label = translate(language(request), "dossier.chart_label", role=subject.role)
                charts[subject.role] = (series, income_chart_svg(series, label))
        return render(
            request,
            "backoffice/dossier.html",
            login=login,
            case=case,
            municipality=by_code().get(case.municipality_code),
            package=package,
            stored=stored[0] if stored else None,
            unreadable=unreadable,
            prov=provenance(package) if package else {},
            advice=advice,
            charts=charts,
            reasons=DECISION_REASONS,
            message=request.query_params.get("m"),
            now=datetime.now(UTC),
        )

    @app.get("/backoffice/cases/{case_id}/documents/{index}", response_model=None)
    async def original_document(request: Request, case_id: str, index: int) -> Response:
        login = who(request)
        if login is None:
            return to_login()
        stored = await run_in_threadpool(services.cases.packages, case_id)
        if not stored:
            return Response(status_code=404)
        try:
            package = await run_in_threadpool(open_package, stored[0], services.link.private_jwks)
        except DatabrugError:
            return Response(status_code=404)
        if not 0 <= index < len(package.documents):
            return Response(status_code=404)
        document = package.documents[index]
        log.info("original document opened case=%s index=%d by=%s", case_id, index, login.username)
        return Response(
            base64.b64decode(document.content_base64),
            media_type=document.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{_safe_filename(document.filename, index)}"',
                "Cache-Control": "no-store",
            },
        )

    async def case_action(request: Request, case_id: str) -> tuple[Login | None, dict[str, str], bool]:
        login = who(request)
        form = await form_of(request)
        return login, form, login is not None and csrf_ok(login, form.get("csrf"))

    def back(case_id: str, message: str) -> RedirectResponse:
        return RedirectResponse(f"/backoffice/cases/{case_id}?m={message}", status_code=303)

    @app.post("/backoffice/cases/{case_id}/decision", response_model=None)
    async def decide(request: Request, case_id: str) -> Response:
        login, form, ok = await case_action(request, case_id)
        if login is None:
            return to_login()
        if not ok:
            return forbidden(request)
        decision = form.get("decision", "")
        done = await run_in_threadpool(
            services.cases.decide,
            case_id,
            decision,  # type: ignore[arg-type]
            form.get("reason", ""),
            form.get("note", ""),
            login.username,
        )
        return back(case_id, "decided" if done else "decision_invalid")

    @app.post("/backoffice/cases/{case_id}/resend", response_model=None)
    async def resend(request: Request, case_id: str) -> Response:
        login, _, ok = await case_action(request, case_id)
        if login is None:
            return to_login()
        if not ok:
            return forbidden(request)
        sent = await run_in_threadpool(services.cases.invite, case_id)
        return back(case_id, "resent" if sent else "resend_failed")

    @app.post("/backoffice/cases/{case_id}/refresh", response_model=None)
    async def refresh(request: Request, case_id: str) -> Response:
        login, _, ok = await case_action(request, case_id)
        if login is None:
            return to_login()
        if not ok:
            return forbidden(request)
        try:
            await run_in_threadpool(services.intake.refresh, case_id)
        except DatabrugError as error:
            log.warning("fetch now failed case=%s code=%s", case_id, error.code)
            return back(case_id, "refresh_failed")
        return back(case_id, "refreshed")

    @app.post("/backoffice/cases/{case_id}/reassess", response_model=None)
    async def reassess_case(request: Request, case_id: str) -> Response:
        login, _, ok = await case_action(request, case_id)
        if login is None:
            return to_login()
        if not ok:
            return forbidden(request)
        try:
            done = await run_in_threadpool(reassess, services.db, case_id, services.link.private_jwks)
        except DatabrugError:
            done = False
        return back(case_id, "reassessed" if done else "reassess_failed")

    @app.post("/backoffice/cases/{case_id}/delete", response_model=None)
    async def delete_case(request: Request, case_id: str) -> Response:
        login, form, ok = await case_action(request, case_id)
        if login is None:
            return to_login()
        if not ok or form.get("confirm") != "yes":
            return forbidden(request)
        await run_in_threadpool(services.cases.delete, case_id)
        return RedirectResponse("/backoffice?m=deleted", status_code=303)

    # ---------------------------------------------------------------- back office: settings
    @app.get("/backoffice/settings", response_class=HTMLResponse, response_model=None)
    async def settings_page(request: Request) -> Response:
        login = who(request)
        if login is None:
            return to_login()
        code = request.query_params.get("gemeente") or DEFAULT_CODE
        if code != DEFAULT_CODE and code not in by_code():
            code = DEFAULT_CODE
        with services.db.session() as db:
            current, own = settings_for(db, code)
        return render(
            request,
            "backoffice/settings.html",
            login=login,
            code=code,
            current=current,
            own=own,
            municipalities=municipalities(),
            norms=load_norms(),
            saved=request.query_params.get("m") == "saved",
            errors=[],
        )

    @app.post("/backoffice/settings", response_model=None)
    async def settings_save(request: Request) -> Response:
        login = who(request)
        if login is None:
            return to_login()
        form = await form_of(request)
        if not csrf_ok(login, form.get("csrf")) or not login.is_admin:
            return forbidden(request)
        code = form.get("code", DEFAULT_CODE)
        if code != DEFAULT_CODE and code not in by_code():
            return forbidden(request)
        try:
            updated = MunicipalitySettings(
                percentage=Decimal(form.get("percentage", "")),
                includes_holiday_allowance=form.get("includes_holiday_allowance") == "yes",
                asset_test=form.get("asset_test") == "yes",
                asset_limit_single=_optional_decimal(form.get("asset_limit_single")),
                asset_limit_family=_optional_decimal(form.get("asset_limit_family")),
                home_equity_rule=form.get("home_equity_rule", "above_exemption"),
                check_timing=form.get("check_timing", "before"),
            )
        except (ValidationError, InvalidOperation, ValueError):
            with services.db.session() as db:
                current, own = settings_for(db, code)
            return render(
                request,
                "backoffice/settings.html",
                status=422,
                login=login,
                code=code,
                current=current,
                own=own,
                municipalities=municipalities(),
                norms=load_norms(),
                saved=False,
                errors=["settings_invalid"],
            )
        with services.db.session() as db:
            save_settings(db, code, updated, login.username)
        return RedirectResponse(f"/backoffice/settings?gemeente={code}&m=saved", status_code=303)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/webhooks") or request.url.path.startswith("/static"):
            return JSONResponse({"error": "not_found"}, status_code=404)
        return render(request, "error.html", status=404, message_key="error.not_found")

    return app


def _safe_filename(name: str, index: int) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100].strip("._")
    return cleaned or f"document-{index + 1}"


def _optional_decimal(value: str | None) -> Decimal | None:
    if value is None or not value.strip():
        return None
    return Decimal(value.strip().replace(",", "."))


def _municipality(value: str) -> Any:
    value = value.strip()
    if not value:
        return None
    found = by_code().get(value.upper())
    if found is not None:
        return found
    lowered = value.casefold()
    return next((m for m in municipalities() if m.name.casefold() == lowered), None)
