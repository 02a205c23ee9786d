"""Mijnpensioenoverzicht: the pension download, ``pensioenaanspraken.xml`` or its JSON twin."""

# No "from __future__ import annotations": FastAPI must see Depends(caller), a local, when the route is made.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from databrug_sandbox.portals.auth import Caller
from databrug_sandbox.portals.problems import PortalProblem
from databrug_sandbox.portals.responses import document
from databrug_sandbox.portals.sources import find_citizen, no_data, render

MEDIA_TYPES = {"xml": "application/xml", "json": "application/json"}


def build_router(caller: Callable[..., Caller]) -> APIRouter:
    router = APIRouter(prefix="/mijnpensioenoverzicht", tags=["Mijnpensioenoverzicht (sandbox portal)"])

    @router.get("/api/download")
    def download(who: Annotated[Caller, Depends(caller)], formaat: str = "") -> Response:
        if formaat not in MEDIA_TYPES:
            raise PortalProblem(400, "Bad Request", "formaat must be xml or json")
        citizen = find_citizen(who.bsn)
        if citizen is None:
            raise no_data("Mijnpensioenoverzicht")
        body = render("databrug_sandbox.documents.mpo", "render_pensioenoverzicht", citizen, formaat)
        return document(body, MEDIA_TYPES[formaat], f"pensioenaanspraken.{formaat}")

    return router
