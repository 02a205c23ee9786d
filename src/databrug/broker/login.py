"""Logging in with DigiD: the level the broker requires, and the login state the phone keeps (sealed) between
the redirect and the callback. Who may log in as which person is ``review.Reviewing.check_login``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from databrug.broker.errors import BrokerError
from databrug.identity.levels import Level
from databrug.identity.oidc import DigidClient, DigidLogin, LoginRequest
from databrug.records import Role
from databrug.sessions.service import Loa

DIGID_LEVEL: Level = "midden"
"""The least a DigiD login must assert (SMS check): the broker's rule, never read back from a cookie."""


async def start_login(digid: DigidClient, redirect_uri: str, role: Role) -> tuple[str, dict[str, Any]]:
    """The URL to send the phone to, and the login state to keep (sealed) until the callback."""
    url, login = await digid.start(redirect_uri, minimum=DIGID_LEVEL)
    return url, {"role": role, **login.to_dict()}


async def finish_login(
    digid: DigidClient, params: dict[str, str], pending: dict[str, Any] | None
) -> tuple[Role, DigidLogin]:
    """Whose login this phone started, and the checked login. The phone holds the key that seals the
    pending state, so the required level comes from the broker's rule, not from the cookie."""
    role, started = _pending_login(pending)
    return role, await digid.finish(params, started)


def _pending_login(pending: dict[str, Any] | None) -> tuple[Role, LoginRequest]:
    role = pending.get("role") if pending else None
    if pending is not None and role in ("applicant", "partner"):
        try:
            return role, replace(LoginRequest.from_dict(pending), minimum=DIGID_LEVEL)
        except (KeyError, TypeError, ValueError):
            pass
    raise BrokerError("digid_state_invalid", "this DigiD answer does not belong to a login on this phone")


def recorded_level(login: DigidLogin) -> Loa:
    """The level kept on the session: a "hoog" login counts as "substantieel"."""
    return login.level if login.level != "hoog" else "substantieel"
