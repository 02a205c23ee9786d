"""The one token check every portal uses: a DigiD access token, verified the way a real portal would.

Signature with the key the IdP publishes in its JWKS (looked up by ``kid``), issuer, audience
"sandbox-portals", expiry, and assurance level at least "midden". 401 with ``WWW-Authenticate`` for a
missing or bad token, 403 for a good token at too low a level (RFC 6750 §3, RFC 9470 for the level).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from fastapi import Request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from databrug_sandbox.idp.keys import ALGORITHM
from databrug_sandbox.idp.levels import LEVELS, Level, at_least
from databrug_sandbox.idp.tokens import PORTALS_AUDIENCE
from databrug_sandbox.portals.problems import PortalProblem

REALM = "sandbox-portals"
MINIMUM_LEVEL: Level = "midden"
CLOCK_LEEWAY_SECONDS = 5

JwksSource = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Caller:
    """Who the token says is asking: the BSN (``sub``) and the level they logged in at."""

    bsn: str
    level: Level


def _challenge(error: str | None = None, description: str | None = None, **extra: str) -> dict[str, str]:
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    parts.extend(f'{key}="{value}"' for key, value in extra.items())
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


def _invalid(description: str) -> PortalProblem:
    return PortalProblem(401, "Invalid access token", description, _challenge("invalid_token", description))


def _unverified_header(token: str) -> dict[str, Any]:
    try:
        encoded = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, IndexError) as exc:
        raise _invalid("the token is not a JWT") from exc
    if not isinstance(header, dict):
        raise _invalid("the token is not a JWT")
    return cast(dict[str, Any], header)


class AccessTokenVerifier:
    def __init__(self, jwks: JwksSource, issuer: str, audience: str = PORTALS_AUDIENCE) -> None:
        self._jwks = jwks
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> Caller:
        if token.count(".") != 2:
            raise _invalid("the token is not a signed JWT")
        header = _unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise _invalid("the token must be signed with ES256")
        kid = header.get("kid")
        published = [k for k in self._jwks().get("keys", []) if isinstance(k, dict) and k.get("kid") == kid]
        if not isinstance(kid, str) or not published:
            raise _invalid("the token's signing key is not in the IdP's JWKS")
        try:
            key_set = KeySet.import_key_set({"keys": published})
            decoded = jwt.decode(token, key_set, algorithms=[ALGORITHM])
        except (JoseError, ValueError) as exc:
            raise _invalid("the token's signature is not valid") from exc
        claims = decoded.claims
        try:
            jwt.JWTClaimsRegistry(
                leeway=CLOCK_LEEWAY_SECONDS,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.audience},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(claims)
        except JoseError as exc:
            raise _invalid(f"the token's claims are not acceptable ({exc.error})") from exc
        level = claims.get("loa")
        if level not in LEVELS:
            raise _invalid("the token carries no known assurance level")
        if not at_least(level, MINIMUM_LEVEL):
            raise PortalProblem(
                403,
                "Assurance level too low",
                f"this portal needs DigiD level {MINIMUM_LEVEL} or higher (SMS check)",
                _challenge(
                    "insufficient_user_authentication",
                    f"DigiD level {MINIMUM_LEVEL} or higher is required",
                    acr_values=MINIMUM_LEVEL,
                ),
            )
        bsn = claims.get("sub")
        if not isinstance(bsn, str):
            raise _invalid("the token has no subject")
        return Caller(bsn=bsn, level=level)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise PortalProblem(
            401, "Authentication required", "send a DigiD access token as Bearer", _challenge()
        )
    return value.strip()


def caller_dependency(verifier: AccessTokenVerifier) -> Callable[[Request], Caller]:
    """A FastAPI dependency: the verified caller, or a 401/403 problem."""

    def current_caller(request: Request) -> Caller:
        return verifier.verify(bearer_token(request))

    return current_caller
