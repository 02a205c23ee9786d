"""The public site: home, the application form, the confirmation. No personal data goes into URLs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from databrug.provider_demo.cases import Application, ApplicationInvalid
from databrug.provider_demo.municipalities import Municipality, by_code, municipalities
from databrug.provider_demo.web.deps import SiteDep, VisitorFormDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, site: SiteDep) -> HTMLResponse:
    return site.pages.render(request, "public/home.html", municipalities=municipalities())


@router.get("/aanvragen", response_class=HTMLResponse)
async def apply_form(request: Request, site: SiteDep) -> HTMLResponse:
    chosen = _municipality(request.query_params.get("gemeente", ""))
    return site.pages.render(
        request,
        "public/apply.html",
        municipalities=municipalities(),
        chosen=chosen,
        values={},
        errors=[],
    )


@router.post("/aanvragen", response_model=None)
async def apply_submit(request: Request, site: SiteDep, form: VisitorFormDep) -> Response:
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
        language=site.pages.language(request),
    )
    if form.get("consent") != "yes":
        problems = [*application.problems(), "consent"]
    else:
        problems = application.problems()
    if not problems:
        try:
            _, sent = await run_in_threadpool(site.services.cases.apply, application)
        except ApplicationInvalid as invalid:  # pragma: no cover - checked above
            problems = invalid.fields
        else:
            return RedirectResponse(f"/aanvraag-ontvangen?sent={'1' if sent else '0'}", status_code=303)
    return site.pages.render(
        request,
        "public/apply.html",
        status=422,
        municipalities=municipalities(),
        chosen=chosen,
        values=form,
        errors=problems,
    )


@router.get("/aanvraag-ontvangen", response_class=HTMLResponse)
async def confirmation(request: Request, site: SiteDep) -> HTMLResponse:
    return site.pages.render(
        request, "public/confirmation.html", sent=request.query_params.get("sent") == "1"
    )


def _municipality(value: str) -> Municipality | None:
    value = value.strip()
    if not value:
        return None
    found = by_code().get(value.upper())
    if found is not None:
        return found
    lowered = value.casefold()
    return next((m for m in municipalities() if m.name.casefold() == lowered), None)
