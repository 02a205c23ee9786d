"""The dependencies the web routes share: the broker, the phone (app token and session key), the computer's
page token, and the cookies that carry them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from databrug.broker import (
    AppSession,
    AppToken,
    Broker,
    PageToken,
    SessionKeyInvalid,
    SessionState,
    TokenInvalid,
)
from databrug.broker.vault import new_session_key_text, session_key_of
from databrug.web.context import remember_session, set_private_cookie

APP_COOKIE = "dba"
KEY_COOKIE = "dbk"
LOGIN_COOKIE = "dbl"
AUTH_COOKIE = "dbd_{role}"
COOKIE_PATH = "/app"
PAGE_COOKIE = "dbp"


async def broker_of(request: Request) -> Broker:
    # async on purpose: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request
    broker: Broker = request.app.state.broker
    return broker


BrokerDep = Annotated[Broker, Depends(broker_of)]


def begin_app(request: Request, app_token: str, response: Response) -> Response:
    """Give this phone its app token and a fresh session key (never stored by the broker)."""
    set_private_cookie(request, response, APP_COOKIE, app_token, COOKIE_PATH)
    set_private_cookie(request, response, KEY_COOKIE, new_session_key_text(), COOKIE_PATH)
    return response


@dataclass(frozen=True)
class Phone:
    app: AppSession
    key: bytes
    token: AppToken

    @property
    def state(self) -> SessionState:
        return self.app.record.state


async def phone(request: Request, broker: BrokerDep) -> Phone:
    token = AppToken.parse(request.cookies.get(APP_COOKIE, ""))
    try:
        key = session_key_of(request.cookies.get(KEY_COOKIE, ""))
    except SessionKeyInvalid:
        raise TokenInvalid() from None  # a phone without its key is not this session's phone
    app = await broker.sessions.app_session(token)
    remember_session(request, app.record)
    return Phone(app=app, key=key, token=token)


PhoneDep = Annotated[Phone, Depends(phone)]


async def page_token(request: Request) -> PageToken:  # async: no thread-pool hop per request
    return PageToken.parse(request.cookies.get(PAGE_COOKIE, ""))


PageTokenDep = Annotated[PageToken, Depends(page_token)]
