"""UWV: the verzekeringsbericht (insurance record) as the PDF mijn.uwv.nl offers for download."""

# No "from __future__ import annotations": FastAPI must see Depends(caller), a local, when the route is made.
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from databrug_sandbox.portals.auth import Caller
from databrug_sandbox.portals.responses import document
from databrug_sandbox.portals.sources import find_citizen, no_data, render


def build_router(caller: Callable[..., Caller]) -> APIRouter:
    router = APIRouter(prefix="/uwv", tags=["UWV (sandbox portal)"])

    @router.get("/api/verzekeringsbericht")
    def verzekeringsbericht(who: Annotated[Caller, Depends(caller)]) -> Response:
        citizen = find_citizen(who.bsn)
        if citizen is None:
            raise no_data("UWV")
        body = render("databrug_sandbox.documents.uwv", "render_verzekeringsbericht", citizen)
        return document(body, "application/pdf", "verzekeringsbericht.pdf")

    return router
