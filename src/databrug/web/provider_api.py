"""The /api/v1 provider API (docs/design.md §6): token, sessions, status, events, cancel, package, ack."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pydantic_core
from fastapi import APIRouter, Depends, Form, Header, Query, Request, Security
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
    model_validator,
)
from starlette.requests import HTTPConnection

from databrug.broker import (
    ACCESS_TOKEN_TTL_SECONDS,
    Broker,
    BrokerError,
    RateLimit,
    SessionEvent,
    SessionRecord,
    SessionState,
    read_basic_credentials,
)
from databrug.records import SourceName
from databrug.records.schema import package_json_schema
from databrug.web.deps import BrokerDep
from databrug.web.metrics import STREAMING
from databrug.web.plain_route import PlainRoute
from databrug.web.request_limits import DEFAULT_BODY_BYTES, SMALL_FORMS
from databrug.web.sse import KEEPALIVE_SECONDS, event_stream, last_event_id

router = APIRouter(prefix="/api/v1", tags=["provider"], form_limits=SMALL_FORMS)


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable code (see the error catalogue), e.g. session_not_found")
    message: str = Field(description="A human-readable explanation in the request's language")
    fields: list[str] | None = Field(default=None, description="validation_failed: the fields at fault")
    retry_after: int | None = Field(default=None, description="rate_limited: seconds to wait")


class ErrorResponse(BaseModel):
    error: ErrorDetail


_ERROR_MEANINGS = {
    400: "Invalid request (invalid_request)",
    401: "Missing, invalid or expired access token (unauthorised)",
    404: "No such session for this provider (session_not_found)",
    409: "Not possible in the session's current state (package_not_ready: not sent yet, retry later; …)",
    410: (
        "The package or session is gone for good (package_gone, package_expired, session_cancelled, "
        "session_failed, …): do not retry"
    ),
    413: f"The body is over {DEFAULT_BODY_BYTES // 1024} KiB (payload_too_large), refused unparsed",
    403: (
        "The request is well-formed but asks more than its purpose template allows (purpose_exceeded, with "
        "the fields at fault), or under a purpose the registration does not name (purpose_not_registered)"
    ),
    422: "The request does not match this schema (validation_failed)",
    429: "Too many requests (rate_limited)",
    503: "The session store cannot be reached; retry (store_unavailable)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers of an operation: every error has the same JSON shape."""
    return {
        status: {"model": ErrorResponse, "description": _ERROR_MEANINGS[status]}
        for status in (*statuses, 422, 503)
    }


# Security schemes for the OpenAPI document only: the routes check the credentials themselves
# (``_provider_of``, ``_client_credentials``), stricter than FastAPI's parsers (two Authorization fields,
# say), so these dependencies read nothing and refuse nothing.


class DocumentedBearer(HTTPBearer):
    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return None


class DocumentedBasic(HTTPBasic):
    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        return None


BEARER = DocumentedBearer(
    scheme_name="bearerAuth",
    bearerFormat="opaque (dbt_…)",
    description=(
        "The access token from POST /api/v1/token (OAuth2 client credentials), sent as "
        "`Authorization: Bearer <access_token>` in exactly one Authorization field. It lives "
        f"{ACCESS_TOKEN_TTL_SECONDS // 60} minutes (expires_in); a missing, invalid or expired token is "
        "answered 401 unauthorised with `WWW-Authenticate: Bearer`: fetch a new one."
    ),
    auto_error=False,
)
"""Every /api/v1 operation but the token endpoint and the package schema needs this."""

CLIENT_BASIC = DocumentedBasic(
    scheme_name="clientBasic",
    description=(
        "POST /api/v1/token only: the client id and secret as HTTP Basic credentials (RFC 6749 §2.3.1), "
        "instead of the client_id and client_secret form fields, never both."
    ),
    auto_error=False,
)

NEEDS_TOKEN = [Security(BEARER)]
"""The hot routes' declaration of the bearer token (their endpoint checks it: ``authorised``)."""


async def provider_id(
    request: Request, broker: BrokerDep, _documented: Annotated[None, Security(BEARER)]
) -> str:
    return _provider_of(request, broker)


_CALLER = "databrug.provider_caller"


def authorised(request: Request) -> tuple[Broker, str]:
    """The broker and the calling provider, for a ``PlainRoute`` (no dependency solving there). Checked once
    per request: the route's guard asks first, the endpoint again for the values."""
    found: tuple[Broker, str] | None = request.scope.get(_CALLER)
    if found is None:
        broker: Broker = request.app.state.broker
        found = (broker, _provider_of(request, broker))
        request.scope[_CALLER] = found
    return found


class ProviderRoute(PlainRoute):
    guard = staticmethod(authorised)


def _provider_of(request: Request, broker: Broker) -> str:
    sent = request.headers.getlist("authorization")
    # two Authorization fields are two credentials (proxies may pick either): neither is trusted
    scheme, _, token = (sent[0] if len(sent) == 1 else "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise BrokerError("unauthorised", "send an access token from /api/v1/token as a Bearer token")
    found = broker.provider_of_token(token.strip())
    if found is None:
        raise BrokerError("unauthorised", "the access token is not valid or has expired")
    return found


ProviderId = Annotated[str, Depends(provider_id)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


def _whole_number(value: object) -> object:
    """JSON has one number type: 6.0 is the integer 6 (JSON Schema agrees); a string or 6.5 stays refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WHOLE = BeforeValidator(_whole_number)


class History(BaseModel):
    model_config = ConfigDict(extra="forbid")
    wage_months: Annotated[StrictInt, Field(ge=1, le=120), WHOLE] | None = Field(
        default=None, description="Months of wage periods, counted back from today"
    )
    tax_years: Annotated[StrictInt, Field(ge=1, le=10), WHOLE] | None = Field(
        default=None, description="Tax years before this one, with their mortgages and balances"
    )


RuleParameterValue = Annotated[str, Field(max_length=40)] | StrictBool | StrictInt | StrictFloat | None


class OutcomeAsked(BaseModel):
    model_config = ConfigDict(extra="forbid")
    parameters: dict[Annotated[str, Field(max_length=40)], RuleParameterValue] = Field(
        max_length=16,
        description="The rule's parameters within the template's published bounds "
        "(/.well-known/databrug-purposes.json), e.g. percentage, includes_holiday_allowance, asset_test",
    )
    declared_children: Annotated[StrictInt, Field(ge=0, le=30), WHOLE] = Field(
        description="Children at home, as the application said"
    )


class CreateSession(BaseModel):
    # ``outcome`` goes with ``delivery: outcome`` and only with it: said in the schema too, so that a client
    # (or a fuzzer) reading the OpenAPI document knows before it asks
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"delivery": {"const": "outcome"}}, "required": ["delivery"]},
            "then": {"required": ["outcome"], "properties": {"outcome": {"type": "object"}}},
            "else": {"properties": {"outcome": {"type": "null"}}},
        },
    )
    reference: str = Field(min_length=1, max_length=200, description="The provider's own case reference")
    invitee_email: str | None = Field(
        default=None,
        max_length=254,
        description="Accepted for compatibility; the broker sends no mail and does not keep it.",
    )
    sources: list[SourceName] | None = Field(
        default=None,
        description="Default: the registration's sources",
        json_schema_extra={"uniqueItems": True},
    )
    language: Literal["nl", "en"] | None = Field(
        default=None,
        description="The citizen's language for the broker's pages and app (the person's own choice there "
        "still wins). Default: the browser's language, else Dutch.",
    )
    partner_expected: StrictBool = Field(
        default=False,
        description="The applicant declared a partner: the app asks for the partner after the applicant's "
        "sources even when the government data name none (refused when the registration takes no partner)",
    )

    purpose: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]{1,62}$",
        description="The published purpose template the session asks under (docs/purposes.md): one of the "
        "registration's purposes. Default: its first. Asking more than it allows: 403 purpose_exceeded",
    )
    history: History | None = Field(default=None, description="Default: the template's maxima")
    documents: StrictBool | None = Field(
        default=None,
        description="Include the original documents: only where the template allows originals and the "
        "registration wants them. Default: what the registration wants, where the template allows it",
    )
    delivery: Literal["data", "outcome"] = Field(
        default="data",
        description="outcome: the broker evaluates the template's rule and sends a signed outcome instead of "
        "the records (only for a template with a rule; needs ``outcome``)",
    )
    outcome: OutcomeAsked | None = Field(
        default=None, description="Required with delivery=outcome, else left out"
    )

    @field_validator("sources")
    @classmethod
    def _distinct(cls, sources: list[SourceName] | None) -> list[SourceName] | None:
        if sources is not None and len(set(sources)) != len(sources):
            raise ValueError("each source at most once")
        return sources

    @model_validator(mode="after")
    def _outcome_with_its_delivery(self) -> CreateSession:
        if (self.outcome is not None) != (self.delivery == "outcome"):
            raise ValueError("give outcome exactly when delivery is outcome")
        return self


class SessionCreated(BaseModel):
    id: str
    citizen_url: str
    state: str
    expires_at: datetime


class SessionStatus(BaseModel):
    id: str
    reference: str
    state: str
    sources: list[SourceName]
    progress: dict[str, dict[str, dict[str, Any]]] = Field(
        description="Per person (applicant, partner) and source: status, record count, error code, attempts"
    )
    counts: dict[str, int]
    partner_expected: bool
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    ended_code: str | None = None


class AckResponse(BaseModel):
    receipt: str = Field(description="Deletion receipt: a JWS signed with the key at /.well-known/…")


_STATUS_FIELDS = {
    "reference",
    "state",
    "sources",
    "partner_expected",
    "created_at",
    "updated_at",
    "expires_at",
    "ended_code",
    "subjects",
}


def status_json(record: SessionRecord) -> bytes:
    """A session's ``SessionStatus`` document as JSON, from one dump of the record without building the model:
    the status read is the provider's polling route."""
    status = record.model_dump(mode="json", include=_STATUS_FIELDS)
    subjects = status.pop("subjects")
    status["id"] = record.session_id
    status["progress"] = {role: subject["sources"] for role, subject in subjects.items()}
    status["counts"] = record.counts()
    return pydantic_core.to_json(status)


def status_of(record: SessionRecord) -> SessionStatus:
    """The same document as a model (``tests/unit/web`` checks it validates and dumps back unchanged)."""
    return SessionStatus.model_validate_json(status_json(record))


@router.post(
    "/token",
    response_model=TokenResponse,
    summary="OAuth2 client credentials",
    responses=errors(400, 401, 413, 429),
    dependencies=[Security(CLIENT_BASIC)],
    # the credentials go as form fields or as HTTP Basic: no security requirement is also one way
    openapi_extra={"security": [{}]},
)
async def token(
    request: Request,
    broker: BrokerDep,
    grant_type: Annotated[Literal["client_credentials"], Form()],
    client_id: Annotated[str, Form(description="Or send both as HTTP Basic credentials")] = "",
    client_secret: Annotated[str, Form()] = "",
) -> TokenResponse:
    address = request.client.host if request.client else "unknown"
    client_id, client_secret = _client_credentials(request, client_id, client_secret)
    token = await broker.token_for_client(client_id, client_secret, address)
    return TokenResponse(access_token=token, expires_in=ACCESS_TOKEN_TTL_SECONDS)


def _client_credentials(request: Request, form_id: str, form_secret: str) -> tuple[str, str]:
    """The client's id and secret, from the form or from HTTP Basic (RFC 6749 §2.3.1), never from both."""
    sent = request.headers.getlist("authorization")
    basic = [value for value in sent if value.partition(" ")[0].lower() == "basic"]
    if not basic:  # another scheme (a Bearer token, say) authenticates no client here
        if not form_id or not form_secret:
            raise BrokerError("unauthorised", "send client_id and client_secret: form fields or HTTP Basic")
        return form_id, form_secret
    if len(sent) > 1 or form_id or form_secret:
        raise BrokerError("invalid_request", "authenticate the client one way: form or one Basic header")
    found = read_basic_credentials(basic[0].partition(" ")[2])
    if found is None:
        raise BrokerError("unauthorised", "HTTP Basic credentials are not base64 of client_id:client_secret")
    return found


async def create_session(request: Request, body: CreateSession) -> Response:
    broker, provider = authorised(request)
    registration = broker.provider(provider)
    sources = body.sources or registration.sources()
    unknown = set(sources) - set(registration.sources())
    if unknown:
        raise BrokerError("invalid_request", "a requested source is not in the provider's registration")
    asked = broker.session_request(
        provider,
        sources,
        purpose=body.purpose,
        wage_months=body.history.wage_months if body.history else None,
        tax_years=body.history.tax_years if body.history else None,
        documents=body.documents,
        delivery=body.delivery,
        parameters=body.outcome.parameters if body.outcome else None,
        declared_children=body.outcome.declared_children if body.outcome else None,
    )
    record, page_token = await broker.sessions.create_session(
        provider,
        body.reference,
        sources,
        partner_mode=registration.partner,
        language=body.language,
        partner_expected=body.partner_expected,
        request=asked,
        rate=RateLimit(f"create:{provider}", broker.settings.sessions_per_minute, 60),
    )
    created = SessionCreated(
        id=record.session_id,
        citizen_url=f"{broker.settings.broker_url}/start?t={page_token.reveal()}",
        state=record.state.value,
        expires_at=record.expires_at,
    )
    return Response(content=created.model_dump_json(), status_code=201, media_type="application/json")


async def get_session(request: Request, session_id: str) -> Response:
    broker, provider = authorised(request)
    record = await broker.sessions.provider_session(session_id, provider)
    return Response(content=status_json(record), media_type="application/json")


EVENTS_DESCRIPTION = (
    "With `Accept: text/event-stream` (or without `after`): a server-sent event stream (WHATWG HTML, "
    "server-sent events). It starts with `retry: 2000`, then sends the session's events after "
    "`Last-Event-ID` (or `after`; from the start without either), then each new one as it happens, and ends "
    "after a final state (acknowledged, cancelled, expired, failed) or when the broker closes it: reconnect "
    "with the last `id` as `Last-Event-ID` to resume. Every "
    f"{KEEPALIVE_SECONDS:.0f} s without an event a comment line `: keep-alive` is sent.\n\n"
    "With `?after=N` and no `Accept: text/event-stream`: the events after sequence number N as a JSON list, "
    "for polling. The event objects are the same either way: states, counts and codes, never personal data."
)

EVENTS_ANSWER: dict[str, Any] = {
    "model": list[SessionEvent],
    "description": "The events after the given sequence number: a JSON list (?after=N) or an event stream",
    "content": {
        "text/event-stream": {
            "schema": {
                "type": "string",
                "description": (
                    "A UTF-8 stream of server-sent events, each `id: <seq>`, `event: <type>`, `data: <one "
                    "SessionEvent as JSON, the same object as in the JSON list>`, then a blank line; also "
                    "`retry:` and `: keep-alive` comment lines, which carry no event."
                ),
            },
            "example": (
                "retry: 2000\n\n"
                'id: 1\nevent: session.created\ndata: {"session_id":"ses_3q2-7wEXAMPLEcOy9A1xZk","seq":1,'
                '"type":"session.created","state":"created","counts":{},'
                '"at":"2026-01-05T09:30:00Z"}\n\n'
                ": keep-alive\n\n"
            ),
        }
    },
}
"""The events operation's 200: both media types it answers in, each with the event's shape."""


def add_hot_routes(app_router: APIRouter) -> None:
    """Create-session, the status read and the event stream, on the app's own router: matched there before
    any included router is tried (FastAPI's included-router matching was ~10% of a status read's CPU)."""
    app_router.add_api_route(
        "/api/v1/sessions",
        create_session,
        methods=["POST"],
        status_code=201,
        response_model=SessionCreated,
        responses=errors(400, 401, 403, 413, 429),
        tags=["provider"],
        dependencies=NEEDS_TOKEN,
        route_class_override=ProviderRoute,
    )
    app_router.add_api_route(
        "/api/v1/sessions/{session_id}",
        get_session,
        methods=["GET"],
        response_model=SessionStatus,
        responses=errors(401, 404),
        tags=["provider"],
        dependencies=NEEDS_TOKEN,
        route_class_override=ProviderRoute,
    )
    # A stream holds its request's frames for its whole life: fewer of them per watcher (docs/performance.md)
    app_router.add_api_route(
        "/api/v1/sessions/{session_id}/events",
        session_events,
        methods=["GET"],
        summary="Event stream (text/event-stream, Last-Event-ID) or, with ?after=N, a JSON list for polling",
        description=EVENTS_DESCRIPTION,
        response_model=None,
        responses={200: EVENTS_ANSWER, **errors(401, 404)},
        tags=["provider"],
        dependencies=NEEDS_TOKEN,
        route_class_override=ProviderRoute,
    )


async def session_events(
    request: Request,
    session_id: str,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> Response:
    broker, provider = authorised(request)
    await broker.sessions.provider_session(session_id, provider)
    wants_stream = "text/event-stream" in request.headers.get("accept", "")
    if after is not None and not wants_stream:
        events = await broker.events_after(session_id, after)
        return JSONResponse([event.model_dump(mode="json", exclude_none=True) for event in events])
    start = last_event_id(last_event, str(after) if after is not None else None)
    request.scope[STREAMING] = True  # counted, not timed (web/metrics.py)
    return StreamingResponse(
        event_stream(broker, session_id, start),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/sessions/{session_id}/cancel", response_model=SessionStatus, responses=errors(401, 404, 409, 410)
)
async def cancel_session(session_id: str, broker: BrokerDep, provider: ProviderId) -> SessionStatus:
    return status_of(await broker.sessions.cancel_by_provider(session_id, provider))


@router.get(
    "/sessions/{session_id}/package",
    responses={
        200: {"content": {"application/jose": {}}, "description": "The package as compact JWE"},
        **errors(401, 404, 409, 410),
    },
    response_class=Response,
)
async def get_package(session_id: str, broker: BrokerDep, provider: ProviderId) -> Response:
    ciphertext = await broker.sessions.load_package(session_id, provider)
    if ciphertext is None:
        raise _no_package(await broker.sessions.provider_session(session_id, provider))
    return Response(content=ciphertext, media_type="application/jose")


def _no_package(record: SessionRecord) -> BrokerError:
    """Why a session has no package to pick up: 409 only while one may still come, 410 once none will."""
    state = record.state
    if state is SessionState.ACKNOWLEDGED:
        return BrokerError("package_gone", "the package was acknowledged and deleted")
    if state is SessionState.EXPIRED or state is SessionState.DELIVERED:  # delivered: its window just ended
        return BrokerError("package_expired", "the session expired or the pick-up window passed")
    if state is SessionState.CANCELLED:
        return BrokerError("session_cancelled", "the session was cancelled: there is no package")
    if state is SessionState.FAILED:
        return BrokerError("session_failed", "the session failed: there is no package")
    return BrokerError("package_not_ready", "the citizen has not sent the package yet")


@router.post(
    "/sessions/{session_id}/package/ack", response_model=AckResponse, responses=errors(401, 404, 409, 410)
)
async def acknowledge_package(session_id: str, broker: BrokerDep, provider: ProviderId) -> AckResponse:
    try:
        return AckResponse(receipt=await broker.acknowledge(session_id, provider))
    except BrokerError as error:
        if error.code != "package_not_ready":
            raise
        raise _no_package(await broker.sessions.provider_session(session_id, provider)) from None


class SourceHealthItem(BaseModel):
    source: SourceName
    state: Literal["healthy", "slow", "down", "unknown"] = Field(
        description=(
            "down: the source answered maintenance (HTTP 503) in the last 5 minutes, no success since, or "
            "its last 3 fetches failed on its side; slow: p95 of the answered fetches over 5 s (3 or more); "
            "unknown: no fetch in the last 15 minutes"
        )
    )
    success_rate: float | None = Field(
        description="Share of the window's fetches the source answered (0–1); null without any fetch"
    )
    p95_ms: int | None = Field(description="p95 duration of the answered fetches, in milliseconds")
    last_failure_code: str | None = Field(
        description="The latest failure on the source's side in the window: source_unavailable or "
        "source_maintenance"
    )
    window: int = Field(description="How many of the broker's recent fetches (at most 20, 15 minutes) count")
    updated_at: datetime | None = Field(description="When the latest of those fetches ended")


class SourcesHealth(BaseModel):
    sources: list[SourceHealthItem] = Field(
        description="Every source, from the broker's own recent fetches across all its processes; nothing of "
        "any person. May be up to a few seconds old."
    )


@router.get(
    "/sources/health",
    response_model=SourcesHealth,
    responses=errors(401),
    summary="Which sources are healthy, slow or down now",
)
async def sources_health(broker: BrokerDep, provider: ProviderId) -> SourcesHealth:
    views = await broker.sources_health()
    return SourcesHealth(
        sources=[
            SourceHealthItem(
                source=view.source,
                state=view.state.value,
                success_rate=view.success_rate,
                p95_ms=view.p95_ms,
                last_failure_code=view.last_failure_code,
                window=view.window,
                updated_at=view.updated_at,
            )
            for view in views.values()
        ]
    )


@router.get("/schema/data-package.json", summary="The JSON Schema of the data package")
async def schema() -> dict[str, Any]:
    return package_json_schema()
