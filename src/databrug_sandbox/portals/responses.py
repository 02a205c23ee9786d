"""How a portal hands out a document: exact media type, no caching, a file name where the portal gives one."""

from __future__ import annotations

from starlette.responses import Response


def document(body: bytes, media_type: str, filename: str | None = None) -> Response:
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(body, media_type=media_type, headers=headers)
