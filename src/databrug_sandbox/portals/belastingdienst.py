"""Belastingdienst: the tax years (vooraf ingevulde aangifte, XML) and the allowances (toeslagen, JSON)."""

# No "from __future__ import annotations": FastAPI must see Depends(caller), a local, when the route is made.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from databrug_sandbox.portals.auth import Caller
from databrug_sandbox.portals.responses import document
from databrug_sandbox.portals.sources import find_citizen, no_data, render

RENDERERS = "databrug_sandbox.documents.belastingdienst"


def build_router(caller: Callable[..., Caller]) -> APIRouter:
    router = APIRouter(prefix="/belastingdienst", tags=["Belastingdienst (sandbox portal)"])

    @router.get("/api/belastinggegevens")
    def belastinggegevens(who: Annotated[Caller, Depends(caller)]) -> Response:
        citizen = find_citizen(who.bsn)
        if citizen is None:
            raise no_data("Belastingdienst")
        body = render(RENDERERS, "render_belastinggegevens", citizen)
        return document(body, "application/xml", "belastinggegevens.xml")

    @router.get("/api/toeslagen")
    def toeslagen(who: Annotated[Caller, Depends(caller)]) -> Response:
        citizen = find_citizen(who.bsn)
        if citizen is None:
            raise no_data("Dienst Toeslagen")
        body = render(RENDERERS, "render_toeslagen", citizen)
        return document(body, "application/json")

    return router
