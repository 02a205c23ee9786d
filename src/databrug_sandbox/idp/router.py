"""HTTP endpoints of the sandbox DigiD: discovery, JWKS, authorize, login pages, token, userinfo, SMS inbox.

Authorization code flow only, PKCE with S256 required. Errors before the redirect URI is trusted show a page;
after that they go back to the client as ``error`` + ``error_description`` + ``state`` (RFC 6749 §4.1.2.1).
"""

# Over 400 lines on purpose: one OpenID provider's endpoints and their shared checks in reading order of
# the flow (discovery, authorize, login, SMS, token, userinfo).

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from databrug_sandbox.idp.accounts import Account
from databrug_sandbox.idp.clients import ClientRegistration, redirect_uri_allowed
from databrug_sandbox.idp.flows import AuthorizationCode, LoginFlow, new_handle
from databrug_sandbox.idp.levels import LEVEL_NAMES_NL, Level, at_least, requested_minimum
from databrug_sandbox.idp.pages import page
from databrug_sandbox.idp.provider import DIGID_PREFIX, DigidProvider
from databrug_sandbox.idp.sms import mask_phone, new_sms_code

logger = logging.getLogger("databrug_sandbox.digid")

MAX_FORM_BYTES = 16_384
# RFC 7636 §4.1: 43..128 unreserved characters; an S256 challenge is 43 base64url characters.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
_SMS_CODE = re.compile(r"^[0-9]{6}$")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def read_form(request: Request) -> dict[str, str]:
    """A url-encoded form, size-limited; repeated fields keep the first value."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "form too large")
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError) as exc:
        raise HTTPException(400, "form is not url-encoded UTF-8") from exc
    return {key: values[0] for key, values in parsed.items()}


def with_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def build_digid_router(idp: DigidProvider) -> APIRouter:
    # Every endpoint is async: the IdP's in-memory state is then only touched from the event loop,
    # never from the thread pool, so it needs no locks.
    router = APIRouter(prefix=DIGID_PREFIX, tags=["DigiD (sandbox IdP)"])
    login_url = idp.url("/login")

    def client_name(client_id: str) -> str:
        client = idp.config.clients.get(client_id)
        return (client.name or client.client_id) if client else client_id

    def error_redirect(flow: LoginFlow, error: str, description: str) -> RedirectResponse:
        idp.flows.discard(flow.id)
        params = {"error": error, "error_description": description, "iss": idp.issuer}
        if flow.state is not None:
            params["state"] = flow.state
        return RedirectResponse(with_query(flow.redirect_uri, params), status_code=303)

    def expired_page() -> Response:
        return page(
            "message.html",
            400,
            heading="Uw inlogsessie is verlopen",
            text="Ga terug naar de dienst waar u wilde inloggen en begin opnieuw.",
        )

    def locked_page(flow: LoginFlow, seconds: float) -> Response:
        flow.stage = "locked"
        minutes = max(1, round(seconds / 60))
        return page(
            "message.html",
            423,
            heading="Uw DigiD is tijdelijk geblokkeerd",
            text=(
                "U heeft te vaak een verkeerd wachtwoord of een verkeerde sms-code ingevuld. "
                f"Probeer het over {minutes} minuten opnieuw."
            ),
            return_action=idp.url("/login/return"),
            flow_id=flow.id,
            client_name=client_name(flow.client_id),
        )

    def complete(flow: LoginFlow, account: Account, level: Level) -> RedirectResponse:
        idp.lockout.success(account.username)
        code = new_handle()
        idp.codes.put(
            code,
            AuthorizationCode(
                code=code,
                client_id=flow.client_id,
                redirect_uri=flow.redirect_uri,
                code_challenge=flow.code_challenge,
                nonce=flow.nonce,
                scope=flow.scope,
                bsn=account.bsn,
                level=level,
                auth_time=int(time.time()),
            ),
        )
        idp.flows.discard(flow.id)
        logger.info("login completed at level %s for client %s", level, flow.client_id)
        params = {"code": code, "iss": idp.issuer}
        if flow.state is not None:
            params["state"] = flow.state
        return RedirectResponse(with_query(flow.redirect_uri, params), status_code=303)

    def flow_account(flow: LoginFlow) -> Account | None:
        return idp.accounts.find(flow.username) if flow.username else None

    # --- discovery and keys -------------------------------------------------------------------------

    @router.get("/.well-known/openid-configuration")
    async def discovery() -> JSONResponse:
        return JSONResponse(idp.discovery(), headers={"Cache-Control": "public, max-age=300"})

    @router.get("/jwks")
    async def jwks() -> JSONResponse:
        return JSONResponse(
            idp.key.jwks(), media_type="application/jwk-set+json", headers={"Cache-Control": "max-age=300"}
        )

    # --- authorization request ----------------------------------------------------------------------

    async def authorize(request: Request) -> Response:
        # OIDC Core §3.1.2.1: the request comes as a query (GET) or as a form (POST).
        q: Mapping[str, str] = await read_form(request) if request.method == "POST" else request.query_params
        client: ClientRegistration | None = idp.config.clients.get(q.get("client_id"))
        redirect_uri = q.get("redirect_uri", "")
        if client is None or not redirect_uri or not redirect_uri_allowed(client, redirect_uri):
            # Never redirect to an unverified URI: an open redirector would leak codes.
            return page(
                "message.html",
                400,
                heading="Onbekende dienst",
                text="De dienst die u naar DigiD stuurde is onbekend of gaf een onjuist terugkeeradres op.",
            )
        flow = LoginFlow(
            id=new_handle(),
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            state=q.get("state"),
            nonce=q.get("nonce"),
            code_challenge=q.get("code_challenge", ""),
            scope=q.get("scope", ""),
            minimum_level=None,
        )
        if q.get("response_type") != "code":
            return error_redirect(flow, "unsupported_response_type", "only response_type=code is supported")
        if "openid" not in flow.scope.split():
            return error_redirect(flow, "invalid_scope", "scope must include openid")
        if q.get("code_challenge_method") != "S256" or not _S256_CHALLENGE.match(flow.code_challenge):
            return error_redirect(flow, "invalid_request", "PKCE is required with code_challenge_method=S256")
        minimum = requested_minimum(q.get("acr_values"), q.get("loa"))
        if minimum == "invalid":
            return error_redirect(flow, "invalid_request", "unknown assurance level in acr_values or loa")
        flow.minimum_level = minimum
        if q.get("prompt") == "none":
            # No single sign-on in the sandbox: every login needs the person.
            return error_redirect(flow, "login_required", "the sandbox DigiD has no existing session")
        idp.flows.put(flow.id, flow)
        return RedirectResponse(with_query(login_url, {"flow": flow.id}), status_code=303)

    router.add_api_route("/authorize", authorize, methods=["GET", "POST"])

    # --- login pages --------------------------------------------------------------------------------

    def login_page(
        flow: LoginFlow, status: int = 200, error: str | None = None, username: str = ""
    ) -> Response:
        return page(
            "login.html",
            status,
            action=login_url,
            flow_id=flow.id,
            error=error,
            username=username,
            client_name=client_name(flow.client_id),
            minimum_level=LEVEL_NAMES_NL[flow.minimum_level] if flow.minimum_level else None,
            personas_url=idp.config.base_url.rstrip("/") + "/admin/personas",
        )

    def sms_page(flow: LoginFlow, account: Account, status: int = 200, error: str | None = None) -> Response:
        return page(
            "sms_code.html",
            status,
            action=idp.url("/login/sms"),
            flow_id=flow.id,
            error=error,
            masked_phone=mask_phone(account.phone),
            inbox_url=with_query(idp.url("/sms"), {"username": account.username}),
            client_name=client_name(flow.client_id),
        )

    def loa_page(flow: LoginFlow, account: Account) -> Response:
        required = flow.minimum_level or "midden"
        return page(
            "loa_not_met.html",
            403,
            action=idp.url("/login/return"),
            flow_id=flow.id,
            required=LEVEL_NAMES_NL[required],
            available=LEVEL_NAMES_NL[account.highest_level],
            client_name=client_name(flow.client_id),
        )

    @router.get("/login")
    async def show_login(flow: str = "") -> Response:
        current = idp.flows.get(flow)
        if current is None:
            return expired_page()
        account = flow_account(current)
        if current.stage == "sms" and account is not None:
            return sms_page(current, account)
        if current.stage == "loa_not_met" and account is not None:
            return loa_page(current, account)
        if current.stage == "locked" and account is not None:
            return locked_page(current, idp.lockout.locked_for(account.username))
        return login_page(current)

    @router.post("/login")
    async def submit_login(request: Request) -> Response:
        form = await read_form(request)
        flow = idp.flows.get(form.get("flow", ""))
        if flow is None or flow.stage != "credentials":
            return expired_page()
        if form.get("action") == "cancel":
            return error_redirect(flow, "access_denied", "the user cancelled the login")
        username = form.get("username", "").strip()
        account = idp.accounts.find(username) if username else None
        if account is not None:
            locked = idp.lockout.locked_for(account.username)
            if locked:
                flow.username = account.username
                return locked_page(flow, locked)
        if account is None or not account.password_matches(form.get("password", "")):
            message = "De combinatie van gebruikersnaam en wachtwoord is niet bekend."
            if account is not None:
                left = idp.lockout.failure(account.username)
                if left == 0:
                    flow.username = account.username
                    return locked_page(flow, idp.lockout.locked_for(account.username))
                message += f" U kunt het nog {left} keer proberen."
            return login_page(flow, 401, message, username)

        flow.username = account.username
        wanted = flow.minimum_level
        if wanted is not None and not at_least(account.highest_level, wanted):
            flow.stage = "loa_not_met"
            return RedirectResponse(with_query(login_url, {"flow": flow.id}), status_code=303)
        if not account.sms_enabled or wanted == "basis":
            # DigiD Basis: username and password are the whole login.
            return complete(flow, account, "basis")
        flow.stage = "sms"
        flow.sms_code = new_sms_code()
        idp.inbox.deliver(account.username, account.phone, flow.sms_code)
        return RedirectResponse(with_query(login_url, {"flow": flow.id}), status_code=303)

    @router.post("/login/sms")
    async def submit_sms_code(request: Request) -> Response:
        form = await read_form(request)
        flow = idp.flows.get(form.get("flow", ""))
        account = flow_account(flow) if flow else None
        if flow is None or account is None or flow.stage != "sms" or flow.sms_code is None:
            return expired_page()
        if form.get("action") == "cancel":
            return error_redirect(flow, "access_denied", "the user cancelled the login")
        locked = idp.lockout.locked_for(account.username)
        if locked:
            return locked_page(flow, locked)
        code = form.get("code", "").strip()
        if not _SMS_CODE.match(code) or not hmac.compare_digest(code, flow.sms_code):
            left = idp.lockout.failure(account.username)
            if left == 0:
                return locked_page(flow, idp.lockout.locked_for(account.username))
            return sms_page(
                flow, account, 401, f"De sms-code is niet juist. U kunt het nog {left} keer proberen."
            )
        return complete(flow, account, "midden")

    @router.post("/login/return")
    async def return_with_error(request: Request) -> Response:
        """The "back to the service" button of the level and lock-out pages: an OIDC error for the client."""
        form = await read_form(request)
        flow = idp.flows.get(form.get("flow", ""))
        if flow is None:
            return expired_page()
        if flow.stage == "loa_not_met":
            return error_redirect(flow, "access_denied", "loa_not_met: the account has no SMS check")
        if flow.stage == "locked":
            return error_redirect(flow, "access_denied", "account_locked: too many wrong attempts")
        return error_redirect(flow, "access_denied", "the user cancelled the login")

    # --- token and userinfo -------------------------------------------------------------------------

    def token_error(error: str, description: str, status: int = 400, basic: bool = False) -> JSONResponse:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if basic:
            headers["WWW-Authenticate"] = 'Basic realm="digid-sandbox"'
        return JSONResponse({"error": error, "error_description": description}, status, headers=headers)

    def client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str | None, bool]:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
                client_id, _, secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                return "", None, True
            # RFC 6749 §2.3.1: both parts are form-urlencoded before the base64 step.
            return unquote_plus(client_id), unquote_plus(secret), True
        return form.get("client_id", ""), form.get("client_secret"), False

    @router.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = await read_form(request)
        client_id, secret, used_basic = client_credentials(request, form)
        client = idp.config.clients.get(client_id)
        if client is None:
            return token_error("invalid_client", "unknown client", 401, used_basic)
        if client.client_secret is not None and not hmac.compare_digest(
            (secret or "").encode(), client.client_secret.encode()
        ):
            return token_error("invalid_client", "client authentication failed", 401, used_basic)
        if form.get("grant_type") != "authorization_code":
            return token_error("unsupported_grant_type", "only authorization_code is supported")
        # Taking the code burns it: it is single-use even when the rest of this request fails.
        grant = idp.codes.take(form.get("code", ""))
        if grant is None:
            return token_error("invalid_grant", "the code is unknown, expired or already used")
        if grant.client_id != client.client_id:
            return token_error("invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != grant.redirect_uri:
            return token_error("invalid_grant", "redirect_uri differs from the authorization request")
        verifier = form.get("code_verifier", "")
        if not _VERIFIER.match(verifier):
            return token_error("invalid_grant", "code_verifier missing or malformed (PKCE required)")
        if not hmac.compare_digest(s256(verifier), grant.code_challenge):
            return token_error("invalid_grant", "code_verifier does not match the code_challenge")
        return JSONResponse(
            idp.tokens.token_response(grant, client.id_token_signed_response_alg),
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    async def userinfo(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        scheme, _, token_value = header.partition(" ")
        claims = idp.tokens.read_access_token(token_value.strip()) if scheme.lower() == "bearer" else None
        if claims is None:
            return JSONResponse(
                {"error": "invalid_token"},
                401,
                headers={"WWW-Authenticate": 'Bearer realm="digid-sandbox", error="invalid_token"'},
            )
        return JSONResponse(
            {"sub": claims["sub"], "loa": claims["loa"], "acr": claims["acr"]},
            headers={"Cache-Control": "no-store"},
        )

    router.add_api_route("/userinfo", userinfo, methods=["GET", "POST"])

    # --- the simulated phone ------------------------------------------------------------------------

    @router.get("/sms")
    async def inbox_page(username: str = "") -> Response:
        messages = idp.inbox.recent()
        if username:
            messages = [m for m in messages if m.username.casefold() == username.strip().casefold()]
        rows: list[dict[str, Any]] = [
            {
                "sent_at": m.sent_at,
                "username": m.username,
                "masked_phone": mask_phone(m.phone),
                "code": m.code,
            }
            for m in messages
        ]
        return page(
            "inbox.html",
            messages=rows,
            username=username,
            page_url=idp.url("/sms"),
            api_url=idp.url("/api/sms"),
            client_name="de sandbox",
        )

    @router.get("/api/sms")
    async def inbox_api(username: str = "") -> JSONResponse:
        if not username.strip():
            return JSONResponse({"error": "username is required"}, 400)
        message = idp.inbox.latest(username)
        if message is None:
            return JSONResponse({"error": "no message for this username"}, 404)
        return JSONResponse(
            {
                "username": message.username,
                "phone": mask_phone(message.phone),
                "code": message.code,
                "text": message.text,
                "sent_at": message.sent_at.isoformat(),
            },
            headers={"Cache-Control": "no-store"},
        )

    return router


def build_lockout_admin_router(idp: DigidProvider) -> APIRouter:
    """``/admin/lockouts``: lift lock-outs early (demos and tests)."""
    router = APIRouter(prefix="/admin/lockouts", tags=["admin: DigiD"])

    @router.delete("")
    async def clear_all() -> dict[str, str]:
        idp.lockout.reset()
        return {"status": "cleared"}

    @router.delete("/{username}")
    async def clear_one(username: str) -> dict[str, str]:
        idp.lockout.reset(username)
        return {"status": "cleared"}

    return router
