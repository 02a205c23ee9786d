"""Portal errors as RFC 9457 problem documents (``application/problem+json``), never naming a person."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PROBLEM_MEDIA_TYPE = "application/problem+json"


class PortalProblem(Exception):
    def __init__(
        self, status: int, title: str, detail: str = "", headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}


def problem_response(problem: PortalProblem) -> Response:
    body: dict[str, object] = {"type": "about:blank", "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    headers = {"Cache-Control": "no-store", **problem.headers}
    return JSONResponse(body, problem.status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


async def handle_portal_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PortalProblem)
    return problem_response(exc)
