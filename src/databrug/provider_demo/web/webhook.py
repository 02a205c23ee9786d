"""The webhook receiver: the broker's events, bounded before they are read, handed to the intake."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from databrug.provider_demo.web.deps import SiteDep

MAX_WEBHOOK_BYTES = 64 * 1024  # the broker's events are a few hundred bytes

router = APIRouter()


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


@router.post("/webhooks/databrug")
async def webhook(request: Request, site: SiteDep) -> Response:
    body = await _body_within(request, MAX_WEBHOOK_BYTES)
    if body is None:
        # close rather than read (and throw away) the rest of the body
        return Response(
            "too large", status_code=413, media_type="text/plain", headers={"Connection": "close"}
        )
    status, text = await run_in_threadpool(site.services.intake.handle_webhook, dict(request.headers), body)
    return (
        Response(text, status_code=status, media_type="text/plain")
        if status != 204
        else Response(status_code=204)
    )
