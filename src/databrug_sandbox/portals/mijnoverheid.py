"""MijnOverheid: BRP persons (Haal Centraal BRP Personen v2.7 request), WOZ objects and vehicles.

Only ``RaadpleegMetBurgerservicenummer`` for the caller's own BSN: asking for anyone else is 403.
"""

# No "from __future__ import annotations": FastAPI must see Depends(caller), a local, when the route is made.
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from databrug_sandbox.portals.auth import Caller
from databrug_sandbox.portals.problems import PortalProblem
from databrug_sandbox.portals.responses import document
from databrug_sandbox.portals.sources import as_bytes, borrowed, find_citizen, is_rvig_person, no_data, render

MAX_QUERY_BYTES = 16_384
_BSN = re.compile(r"^[0-9]{9}$")


def _bad_request(detail: str) -> PortalProblem:
    return PortalProblem(400, "Bad Request", detail)


def _requested_bsns(raw: bytes) -> list[str]:
    if len(raw) > MAX_QUERY_BYTES:
        raise PortalProblem(413, "Payload Too Large", "the BRP query is larger than 16 KiB")
    try:
        query: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad_request("the body is not JSON") from exc
    if not isinstance(query, dict):
        raise _bad_request("the body must be a JSON object")
    if query.get("type") != "RaadpleegMetBurgerservicenummer":
        raise _bad_request("type: only RaadpleegMetBurgerservicenummer is supported")
    fields = query.get("fields")
    if (
        not isinstance(fields, list)
        or not 1 <= len(fields) <= 130
        or not all(isinstance(f, str) for f in fields)
    ):
        raise _bad_request("fields: a list of 1 to 130 field paths is required")
    bsns = query.get("burgerservicenummer")
    if not isinstance(bsns, list) or not 1 <= len(bsns) <= 20:
        raise _bad_request("burgerservicenummer: a list of 1 to 20 numbers is required")
    if not all(isinstance(b, str) and _BSN.match(b) for b in bsns):
        raise _bad_request("burgerservicenummer: each entry must be 9 digits")
    return [str(b) for b in bsns]


def build_router(caller: Callable[..., Caller]) -> APIRouter:
    router = APIRouter(prefix="/mijnoverheid", tags=["MijnOverheid (sandbox portal)"])

    @router.post("/haalcentraal/api/brp/personen")
    async def brp_personen(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
        bsns = _requested_bsns(await request.body())
        if any(b != who.bsn for b in bsns):
            raise PortalProblem(403, "Forbidden", "you may only ask for your own burgerservicenummer")
        citizen = find_citizen(who.bsn)
        if citizen is not None:
            body = render("databrug_sandbox.documents.brp", "render_brp", citizen)
        elif is_rvig_person(who.bsn):
            body = borrowed("databrug_sandbox.rvig", "rvig_brp_response")(who.bsn)
            if body is None:
                raise no_data("MijnOverheid")
        else:
            raise no_data("MijnOverheid")
        # as BRP Personen 2.7 declares it (an OpenAPI response validator refuses plain application/json)
        return document(as_bytes(body), "application/json; charset=utf-8")

    @router.get("/api/wozobjecten")
    def wozobjecten(who: Annotated[Caller, Depends(caller)]) -> Response:
        citizen = find_citizen(who.bsn)
        if citizen is not None:
            body = render("databrug_sandbox.documents.woz", "render_woz", citizen)
        elif is_rvig_person(who.bsn):
            body = borrowed("databrug_sandbox.rvig", "woz_response_for")(who.bsn)
            if body is None:
                raise no_data("WOZ")
        else:
            raise no_data("WOZ")
        return document(as_bytes(body), "application/hal+json")

    @router.get("/api/voertuigen")
    def voertuigen(who: Annotated[Caller, Depends(caller)]) -> Response:
        citizen = find_citizen(who.bsn)
        if citizen is None:
            raise no_data("RDW")
        body = render("databrug_sandbox.documents.vehicles", "render_vehicles", citizen)
        return document(as_bytes(body), "application/json")

    return router
