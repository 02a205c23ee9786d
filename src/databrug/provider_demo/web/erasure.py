"""Erasure on request and the privacy statement: public pages and a small JSON API.

- ``GET /privacy``: what the demo keeps, for how long (365 days), third parties (none), how to have it erased.
- ``GET /gegevens-wissen``: a form for the erasure code from the citizen's Databrug receipt.
- ``POST /gegevens-wissen`` (form field ``erasure_token``): erases the case and shows the signed confirmation.
  Databrug's receipt page posts this form from the broker's origin: there is no CSRF token to check and none
  is needed, the code itself is the credential and the answer goes to whoever holds it.
- ``POST /gegevens-wissen/bevestiging``: the confirmation shown on the page, back as a ``.jwt`` download
  (only a confirmation this provider signed is echoed).
- ``POST /api/erasure`` ``{"erasure_token": "..."}``: 200 ``{"confirmation": "<jws>"}``, else 404.
- ``GET /.well-known/erasure-keys.json``: the public keys that verify a confirmation.

An unknown code and a code already used get one and the same answer. Failed codes are throttled per client
address like the back office's login.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from databrug.provider_demo.config import RETENTION_DAYS
from databrug.provider_demo.erasure import ERASURE_KEYS_PATH
from databrug.provider_demo.web.deps import Site, SiteDep, form_of
from databrug.sdk import ErasureError, verify_erasure_confirmation
from databrug.sdk.erasure import MAX_CONFIRMATION_CHARS, MAX_ERASURE_TOKEN_CHARS

router = APIRouter()

THROTTLE_KEY = "erasure-code"
MAX_API_BODY_BYTES = 4096


class ErasureRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    erasure_token: Annotated[str, Field(min_length=1, max_length=MAX_ERASURE_TOKEN_CHARS)]


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _locked(site: Site, request: Request) -> bool:
    return site.throttle_erasure.locked(THROTTLE_KEY, _address(request), time.monotonic())


def _failed(site: Site, request: Request) -> None:
    site.throttle_erasure.failed(THROTTLE_KEY, _address(request), time.monotonic())


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request, site: SiteDep) -> HTMLResponse:
    return site.pages.render(request, "public/privacy.html", retention_days=RETENTION_DAYS)


@router.get("/gegevens-wissen", response_class=HTMLResponse)
async def erasure_form(request: Request, site: SiteDep) -> HTMLResponse:
    return site.pages.render(request, "public/erasure.html", result=None)


@router.post("/gegevens-wissen", response_class=HTMLResponse)
async def erasure_submit(request: Request, site: SiteDep) -> HTMLResponse:
    if _locked(site, request):
        return site.pages.render(request, "public/erasure.html", status=429, result="throttled")
    form = await form_of(request)
    token = form.get("erasure_token", "").strip()
    if not token or len(token) > MAX_ERASURE_TOKEN_CHARS:
        _failed(site, request)
        return site.pages.render(request, "public/erasure.html", status=422, result="invalid")
    confirmation = await run_in_threadpool(site.services.erasure.erase, token)
    if confirmation is None:
        _failed(site, request)
        return site.pages.render(request, "public/erasure.html", status=404, result="unknown")
    facts = verify_erasure_confirmation(confirmation, site.services.erasure.public_jwks())
    return site.pages.render(
        request, "public/erasure.html", result="erased", confirmation=confirmation, facts=facts
    )


@router.post("/gegevens-wissen/bevestiging", response_model=None)
async def erasure_download(request: Request, site: SiteDep) -> Response:
    form = await form_of(request)
    signed = form.get("confirmation", "").strip()
    try:
        if len(signed) > MAX_CONFIRMATION_CHARS:
            raise ErasureError("confirmation_invalid", "too long")
        facts = verify_erasure_confirmation(signed, site.services.erasure.public_jwks())
    except ErasureError:
        return site.pages.error(request, 400, "erasure.download_invalid")
    name = f"wisbevestiging-{facts.provider_reference}.jwt"
    return Response(
        signed,
        media_type="application/jwt",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/api/erasure", response_model=None)
async def erasure_api(request: Request, site: SiteDep) -> Response:
    if _locked(site, request):
        return _api_error(429, "too_many_attempts", "too many unknown codes from this address, try later")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_API_BODY_BYTES:
            return _api_error(413, "too_large", f"the body is at most {MAX_API_BODY_BYTES} bytes")
    try:
        asked = ErasureRequest.model_validate_json(bytes(body))
    except (ValidationError, ValueError):
        _failed(site, request)
        return _api_error(422, "invalid_request", 'send {"erasure_token": "era_..."}')
    confirmation = await run_in_threadpool(site.services.erasure.erase, asked.erasure_token)
    if confirmation is None:
        _failed(site, request)
        return _api_error(404, "not_found", "no case with this erasure code")
    return JSONResponse({"confirmation": confirmation}, headers={"Cache-Control": "no-store"})


@router.get(ERASURE_KEYS_PATH)
async def erasure_keys(site: SiteDep) -> Response:
    return Response(
        json.dumps(site.services.erasure.public_jwks()),
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )


def _api_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
