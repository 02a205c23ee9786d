"""ID tokens and access tokens: JWTs signed with the IdP's keys (ID tokens in the client's registered
algorithm, RS256 or ES256; access tokens ES256).

Access tokens are for the sandbox portals (``aud`` = "sandbox-portals"); they carry the BSN as ``sub`` and
the assurance level as ``loa`` (short name) and ``acr`` (URI), as a DigiD-backed token would.
"""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from databrug_sandbox.idp.flows import AuthorizationCode, new_handle
from databrug_sandbox.idp.keys import ALGORITHM, IdTokenAlgorithm, SigningKey
from databrug_sandbox.idp.levels import ACR_BY_LEVEL, LEVELS

PORTALS_AUDIENCE = "sandbox-portals"


class TokenIssuer:
    def __init__(self, key: SigningKey, issuer: str, ttl_seconds: int = 900) -> None:
        self.key = key
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds

    def sign(self, claims: dict[str, Any], algorithm: IdTokenAlgorithm = ALGORITHM) -> str:
        header = self.key.header(algorithm)
        return jwt.encode(header, claims, self.key.private(algorithm), algorithms=[algorithm])

    def id_token(self, grant: AuthorizationCode, now: int, algorithm: IdTokenAlgorithm = ALGORITHM) -> str:
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": grant.client_id,
            "sub": grant.bsn,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "auth_time": grant.auth_time,
            "acr": ACR_BY_LEVEL[grant.level],
            "loa": grant.level,
            "azp": grant.client_id,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        return self.sign(claims, algorithm)

    def access_token(self, grant: AuthorizationCode, now: int) -> str:
        return self.sign(
            {
                "iss": self.issuer,
                "aud": PORTALS_AUDIENCE,
                "sub": grant.bsn,
                "client_id": grant.client_id,
                "scope": grant.scope,
                "iat": now,
                "nbf": now,
                "exp": now + self.ttl_seconds,
                "jti": new_handle(),
                "acr": ACR_BY_LEVEL[grant.level],
                "loa": grant.level,
            }
        )

    def token_response(
        self, grant: AuthorizationCode, id_token_algorithm: IdTokenAlgorithm = ALGORITHM
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "access_token": self.access_token(grant, now),
            "token_type": "Bearer",
            "expires_in": self.ttl_seconds,
            "id_token": self.id_token(grant, now, id_token_algorithm),
            "scope": grant.scope,
        }

    def read_access_token(self, token: str) -> dict[str, Any] | None:
        """The claims of a valid access token of this IdP (for userinfo); None for anything else."""
        try:
            decoded = jwt.decode(token, self.key.key, algorithms=[ALGORITHM])
            jwt.JWTClaimsRegistry(
                leeway=5,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": PORTALS_AUDIENCE},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError):
            return None
        if decoded.claims.get("loa") not in LEVELS:
            return None
        return dict(decoded.claims)
