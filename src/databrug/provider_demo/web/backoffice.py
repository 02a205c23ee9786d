"""The back office: login, the case list, a dossier with its originals, the caseworker's actions and the
municipality settings. Every route but the login's sits behind the staff dependency (``staff.py``); cases are
addressed by opaque ids and no personal data goes into URLs or log lines."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from databrug.eligibility import load_norms
from databrug.eligibility.model import Advice
from databrug.provider_demo.accounts import Login, csrf_ok, log_in, log_out
from databrug.provider_demo.cases import DECISION_REASONS, STATUSES
from databrug.provider_demo.intake import open_package, reassess
from databrug.provider_demo.municipalities import (
    DEFAULT_CODE,
    by_code,
    municipalities,
    save_settings,
    settings_for,
)
from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.web.deps import FormRefused, Site, SiteDep, VisitorFormDep, form_of
from databrug.provider_demo.web.dossier import income_chart_svg, monthly_income, provenance
from databrug.provider_demo.web.i18n import translate
from databrug.provider_demo.web.pages import SESSION_COOKIE
from databrug.provider_demo.web.staff import StaffDep, StaffFormDep, current_staff, staff_form, to_login
from databrug.sdk import DatabrugError

log = logging.getLogger("databrug.provider_demo.web")

router = APIRouter(prefix="/backoffice")


# ---------------------------------------------------------------- login
@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, site: SiteDep) -> HTMLResponse:
    return site.pages.render(request, "backoffice/login.html", failed=False)


@router.post("/login", response_model=None)
async def login_submit(request: Request, site: SiteDep, form: VisitorFormDep) -> Response:
    username = form.get("username", "")[:64]
    address = request.client.host if request.client else ""
    settings = site.services.settings
    if site.throttle.locked(username, address, time.monotonic()):
        log.info("login refused: too many failures from this address")
        return site.pages.render(request, "backoffice/login.html", status=401, failed=True)
    await asyncio.sleep(site.throttle.delay(username, address, time.monotonic()))

    def attempt() -> str | None:
        with site.services.db.session() as db:
            return log_in(db, username, form.get("password", ""), settings.login_hours)

    token = await run_in_threadpool(attempt)
    if token is None:
        site.throttle.failed(username, address, time.monotonic())
        log.info("login failed")
        return site.pages.render(request, "backoffice/login.html", status=401, failed=True)
    site.throttle.succeeded(username, address)
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


@router.post("/logout", response_model=None)
async def logout(request: Request, site: SiteDep) -> Response:
    login = current_staff(site, request)
    form = await form_of(request)
    if login is not None and csrf_ok(login, form.get("csrf")):
        with site.services.db.session() as db:
            log_out(db, request.cookies.get(SESSION_COOKIE))
    response = to_login()
    response.delete_cookie(SESSION_COOKIE, path="/backoffice")
    return response


# ---------------------------------------------------------------- cases
@router.get("", response_class=HTMLResponse, response_model=None)
async def case_list(request: Request, site: SiteDep, login: StaffDep) -> Response:
    status = request.query_params.get("status")
    all_cases = await run_in_threadpool(site.services.cases.all_cases)
    counts = Counter(c.status for c in all_cases)
    shown = [c for c in all_cases if status in (None, "") or c.status == status]
    return site.pages.render(
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


@router.get("/cases/{case_id}", response_class=HTMLResponse, response_model=None)
async def dossier(request: Request, case_id: str, site: SiteDep, login: StaffDep) -> Response:
    services = site.services
    case = await run_in_threadpool(services.cases.get, case_id)
    if case is None:
        return site.pages.error(request, 404, "error.not_found")
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
            if not subject.incomes.relations:  # nothing to draw (an outcome-only package has no incomes)
                continue
            ends = [p.end for r in subject.incomes.relations for p in r.periods]
            series = monthly_income(subject, max(ends, default=package.created_at.date()))
            label = translate(site.pages.language(request), "dossier.chart_label", role=subject.role)
            charts[subject.role] = (series, income_chart_svg(series, label))
    return site.pages.render(
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
        norms=load_norms(),
        reasons=DECISION_REASONS,
        message=request.query_params.get("m"),
        now=datetime.now(UTC),
    )


@router.get("/cases/{case_id}/documents/{index}", response_model=None)
async def original_document(case_id: str, index: int, site: SiteDep, login: StaffDep) -> Response:
    stored = await run_in_threadpool(site.services.cases.packages, case_id)
    if not stored:
        return Response(status_code=404)
    try:
        package = await run_in_threadpool(open_package, stored[0], site.services.link.private_jwks)
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


def _back(case_id: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"/backoffice/cases/{case_id}?m={message}", status_code=303)


@router.post("/cases/{case_id}/decision", response_model=None)
async def decide(case_id: str, site: SiteDep, staff: StaffFormDep) -> Response:
    done = await run_in_threadpool(
        site.services.cases.decide,
        case_id,
        staff.form.get("decision", ""),  # type: ignore[arg-type]
        staff.form.get("reason", ""),
        staff.form.get("note", ""),
        staff.login.username,
    )
    return _back(case_id, "decided" if done else "decision_invalid")


@router.post("/cases/{case_id}/resend", response_model=None, dependencies=[Depends(staff_form)])
async def resend(case_id: str, site: SiteDep) -> Response:
    sent = await run_in_threadpool(site.services.cases.invite, case_id)
    return _back(case_id, "resent" if sent else "resend_failed")


@router.post("/cases/{case_id}/full-data", response_model=None, dependencies=[Depends(staff_form)])
async def request_full_data(case_id: str, site: SiteDep) -> Response:
    sent = await run_in_threadpool(site.services.cases.request_full_data, case_id)
    return _back(case_id, "full_data_requested" if sent else "full_data_failed")


@router.post("/cases/{case_id}/refresh", response_model=None, dependencies=[Depends(staff_form)])
async def refresh(case_id: str, site: SiteDep) -> Response:
    try:
        await run_in_threadpool(site.services.intake.refresh, case_id)
    except DatabrugError as error:
        log.warning("fetch now failed case=%s code=%s", case_id, error.code)
        return _back(case_id, "refresh_failed")
    return _back(case_id, "refreshed")


@router.post("/cases/{case_id}/reassess", response_model=None, dependencies=[Depends(staff_form)])
async def reassess_case(case_id: str, site: SiteDep) -> Response:
    services = site.services
    try:
        done = await run_in_threadpool(reassess, services.db, case_id, services.link.private_jwks)
    except DatabrugError:
        done = False
    return _back(case_id, "reassessed" if done else "reassess_failed")


@router.post("/cases/{case_id}/delete", response_model=None)
async def delete_case(case_id: str, site: SiteDep, staff: StaffFormDep) -> Response:
    if staff.form.get("confirm") != "yes":
        raise FormRefused
    await run_in_threadpool(site.services.cases.delete, case_id)
    return RedirectResponse("/backoffice?m=deleted", status_code=303)


# ---------------------------------------------------------------- municipality settings
@router.get("/settings", response_class=HTMLResponse, response_model=None)
async def settings_page(request: Request, site: SiteDep, login: StaffDep) -> Response:
    code = request.query_params.get("gemeente") or DEFAULT_CODE
    if code != DEFAULT_CODE and code not in by_code():
        code = DEFAULT_CODE
    return _settings_form(request, site, login, code, saved=request.query_params.get("m") == "saved")


@router.post("/settings", response_model=None)
async def settings_save(request: Request, site: SiteDep, staff: StaffFormDep) -> Response:
    form, login = staff.form, staff.login
    if not login.is_admin:
        raise FormRefused
    code = form.get("code", DEFAULT_CODE)
    if code != DEFAULT_CODE and code not in by_code():
        raise FormRefused
    try:
        updated = MunicipalitySettings(
            percentage=Decimal(form.get("percentage", "")),
            includes_holiday_allowance=form.get("includes_holiday_allowance") == "yes",
            asset_test=form.get("asset_test") == "yes",
            asset_limit_single=_optional_decimal(form.get("asset_limit_single")),
            asset_limit_family=_optional_decimal(form.get("asset_limit_family")),
            home_equity_rule=form.get("home_equity_rule", "above_exemption"),
            check_timing=form.get("check_timing", "before"),
            delivery=form.get("delivery", "data"),
        )
    except (ValidationError, InvalidOperation, ValueError):
        return _settings_form(request, site, login, code, status=422, errors=["settings_invalid"])
    with site.services.db.session() as db:
        save_settings(db, code, updated, login.username)
    return RedirectResponse(f"/backoffice/settings?gemeente={code}&m=saved", status_code=303)


def _settings_form(
    request: Request,
    site: Site,
    login: Login,
    code: str,
    *,
    status: int = 200,
    saved: bool = False,
    errors: tuple[str, ...] | list[str] = (),
) -> HTMLResponse:
    with site.services.db.session() as db:
        current, own = settings_for(db, code)
    return site.pages.render(
        request,
        "backoffice/settings.html",
        status=status,
        login=login,
        code=code,
        current=current,
        own=own,
        municipalities=municipalities(),
        norms=load_norms(),
        saved=saved,
        errors=list(errors),
    )


def _safe_filename(name: str, index: int) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100].strip("._")
    return cleaned or f"document-{index + 1}"


def _optional_decimal(value: str | None) -> Decimal | None:
    if value is None or not value.strip():
        return None
    return Decimal(value.strip().replace(",", "."))
