"""The public site: home, the application form, the confirmation. No personal data goes into URLs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from databrug.provider_demo.cases import Application, ApplicationInvalid
from databrug.provider_demo.municipalities import (
    MAX_SUGGESTIONS,
    Municipality,
    find_municipalities,
    municipalities,
)
from databrug.provider_demo.web.deps import SiteDep, VisitorFormDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, site: SiteDep) -> HTMLResponse:
    return site.pages.render(request, "public/home.html", municipalities=municipalities())


@router.get("/aanvragen", response_class=HTMLResponse)
async def apply_form(request: Request, site: SiteDep) -> HTMLResponse:
    typed = request.query_params.get("gemeente", "")[:100]
    chosen, candidates = _search(typed)
    return site.pages.render(
        request,
        "public/apply.html",
        municipalities=municipalities(),
        chosen=chosen,
        candidates=candidates,
        values={"gemeente": typed},
        errors=["municipality"] if typed.strip() and chosen is None else [],
    )


@router.post("/aanvragen", response_model=None)
async def apply_submit(request: Request, site: SiteDep, form: VisitorFormDep) -> Response:
    chosen, candidates = _search(form.get("gemeente", ""))
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
        candidates=candidates,
        values=form,
        errors=problems,
    )


@router.get("/aanvraag-ontvangen", response_class=HTMLResponse)
async def confirmation(request: Request, site: SiteDep) -> HTMLResponse:
    return site.pages.render(
        request, "public/confirmation.html", sent=request.query_params.get("sent") == "1"
    )


@router.get("/aanvraag/{case_id}", response_class=HTMLResponse)
async def case_status(request: Request, site: SiteDep, case_id: str) -> HTMLResponse:
    """Where Databrug's "back to the provider" leads (the registration's return URL carries the case id):
    how far this application is. The status only, nothing personal; the id is a random token."""
    case = await run_in_threadpool(site.services.cases.get, case_id) if len(case_id) <= 40 else None
    if case is None:
        return site.pages.render(request, "public/case_status.html", status=404, case_status=None)
    # the citizen's view: the data arrived (the webhook may trail the return by a moment); the advice is ours
    arrived = case.session_state in ("delivered", "acknowledged") or case.status == "advised"
    shown = "data_received" if case.status in ("received", "invited", "advised") and arrived else case.status
    return site.pages.render(request, "public/case_status.html", case_status=shown)


def _search(value: str) -> tuple[Municipality | None, list[Municipality]]:
    """The one municipality typed (a name, an alias such as Den Haag, or part of a name that fits one only),
    else the candidates: several to choose from, or none (the form then says which, the text kept)."""
    matches = find_municipalities(value)
    if len(matches) == 1:
        return matches[0], []
    return None, matches[:MAX_SUGGESTIONS]
