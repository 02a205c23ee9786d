"""OpenID Connect client for DigiD: authorization code flow with PKCE (S256), state, nonce, ID-token checks.

The citizen types credentials only on the IdP's own pages; Databrug sees the authorization code, exchanges it
for tokens, and verifies the ID token (signature via JWKS by ``kid``, issuer, audience, expiry, nonce, level).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from databrug.identity.errors import (
    AssuranceTooLow,
    IdentityProviderError,
    IdentityProviderUnavailable,
    LoginCancelled,
    LoginStateInvalid,
    TokenInvalid,
)
from databrug.identity.levels import ACR_BY_LEVEL, Level, at_least, level_of

CLOCK_SKEW_SECONDS = 60


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None


@dataclass(frozen=True)
class LoginRequest:
    """What the broker keeps (sealed, per session and role) between redirect and callback."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    minimum: Level

    def to_dict(self) -> dict[str, str]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
            "minimum": self.minimum,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoginRequest:
        return cls(
            state=str(data["state"]),
            nonce=str(data["nonce"]),
            code_verifier=str(data["code_verifier"]),
            redirect_uri=str(data["redirect_uri"]),
            minimum=data["minimum"],
        )


@dataclass(frozen=True)
class DigidLogin:
    bsn: str
    level: Level
    access_token: str
    expires_at: float

    def __repr__(self) -> str:  # never show the BSN or the token
        return f"DigidLogin(level={self.level!r}, expires_at={self.expires_at:.0f})"


def _pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class DigidClient:
    def __init__(self, http: httpx.AsyncClient, issuer: str, client_id: str, scope: str = "openid") -> None:
        self._http = http
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.scope = scope
        self._metadata: ProviderMetadata | None = None
        self._keys: KeySet | None = None

    async def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            document = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
            try:
                self._metadata = ProviderMetadata(
                    issuer=document["issuer"],
                    authorization_endpoint=document["authorization_endpoint"],
                    token_endpoint=document["token_endpoint"],
                    jwks_uri=document["jwks_uri"],
                    userinfo_endpoint=document.get("userinfo_endpoint"),
                )
            except (KeyError, TypeError) as exc:
                raise IdentityProviderError("the DigiD discovery document is incomplete") from exc
            if self._metadata.issuer.rstrip("/") != self.issuer:
                raise IdentityProviderError("the DigiD discovery document names another issuer")
        return self._metadata

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            metadata = await self.metadata()
            self._keys = KeySet.import_key_set(await self._get_json(metadata.jwks_uri))  # type: ignore[arg-type]
        return self._keys

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, timeout=10.0)
        except httpx.TransportError as exc:
            raise IdentityProviderUnavailable("DigiD could not be reached") from exc
        if response.status_code != 200:
            raise IdentityProviderUnavailable(f"DigiD answered HTTP {response.status_code}")
        data = response.json()
        if not isinstance(data, dict):
            raise IdentityProviderError("DigiD answered with an unexpected document")
        return data

    async def start(self, redirect_uri: str, minimum: Level = "midden") -> tuple[str, LoginRequest]:
        """The URL to send the citizen's browser to, and what to keep until the callback."""
        metadata = await self.metadata()
        request = LoginRequest(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            redirect_uri=redirect_uri,
            minimum=minimum,
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.scope,
                "state": request.state,
                "nonce": request.nonce,
                "code_challenge": _pkce_challenge(request.code_verifier),
                "code_challenge_method": "S256",
                "acr_values": ACR_BY_LEVEL[minimum],
            }
        )
        return f"{metadata.authorization_endpoint}?{query}", request

    async def finish(self, params: dict[str, str], request: LoginRequest) -> DigidLogin:
        """Check the callback, exchange the code, verify the ID token; typed errors for every refusal."""
        sent_state = params.get("state", "").encode("utf-8", "surrogatepass")  # any text: compare as bytes
        if not secrets.compare_digest(sent_state, request.state.encode("utf-8", "surrogatepass")):
            raise LoginStateInvalid("the DigiD answer does not belong to this login")
        error = params.get("error")
        if error:
            description = params.get("error_description", "")
            if "loa" in description or error == "unmet_authentication_requirements":
                raise AssuranceTooLow("this DigiD account has no SMS check")
            if error == "access_denied":
                raise LoginCancelled("the DigiD login was cancelled")
            raise IdentityProviderError(f"DigiD refused the login ({error[:40]})")
        code = params.get("code")
        if not code:
            raise LoginStateInvalid("the DigiD answer carries no code")
        tokens = await self._exchange(code, request)
        claims = await self._verify_id_token(tokens.get("id_token"), request)
        level = level_of(claims.get("acr"), claims.get("loa"))
        if level is None:
            raise TokenInvalid("the ID token names no assurance level")
        if not at_least(level, request.minimum):
            raise AssuranceTooLow("this DigiD login is below the required level")
        access_token = tokens.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise TokenInvalid("DigiD issued no access token")
        expires_in = tokens.get("expires_in", 900)
        return DigidLogin(
            bsn=str(claims["sub"]),
            level=level,
            access_token=access_token,
            expires_at=time.time() + float(expires_in if isinstance(expires_in, int | float) else 900),
        )

    async def _exchange(self, code: str, request: LoginRequest) -> dict[str, Any]:
        metadata = await self.metadata()
        try:
            response = await self._http.post(
                metadata.token_endpoint,
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": request.redirect_uri,
                    "client_id": self.client_id,
                    "code_verifier": request.code_verifier,
                },
                timeout=10.0,
            )
        except httpx.TransportError as exc:
            raise IdentityProviderUnavailable("DigiD could not be reached") from exc
        if response.status_code >= 500:
            raise IdentityProviderUnavailable(f"DigiD answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise IdentityProviderError("DigiD refused the code exchange")
        data = response.json()
        if not isinstance(data, dict):
            raise IdentityProviderError("DigiD answered with an unexpected token response")
        return data

    async def _verify_id_token(self, token: object, request: LoginRequest) -> dict[str, Any]:
        if not isinstance(token, str):
            raise TokenInvalid("DigiD issued no ID token")
        keys = await self._key_set()
        try:
            decoded = jwt.decode(token, keys, algorithms=["ES256", "RS256", "EdDSA"])
        except JoseError:
            # A rotated key: fetch the JWKS once more before refusing.
            try:
                decoded = jwt.decode(token, await self._key_set(refresh=True), algorithms=["ES256", "RS256"])
            except (JoseError, ValueError) as exc:
                raise TokenInvalid("the ID token signature is not valid") from exc
        except ValueError as exc:
            raise TokenInvalid("the ID token is malformed") from exc
        claims = dict(decoded.claims)
        metadata = await self.metadata()
        now = time.time()
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        checks = (
            (claims.get("iss") == metadata.issuer, "the ID token comes from another issuer"),
            (self.client_id in audiences, "the ID token is meant for another client"),
            (_number(claims.get("exp")) > now - CLOCK_SKEW_SECONDS, "the ID token has expired"),
            (_number(claims.get("iat")) < now + CLOCK_SKEW_SECONDS, "the ID token is issued in the future"),
            (
                secrets.compare_digest(str(claims.get("nonce", "")), request.nonce),
                "the ID token nonce differs",
            ),
            (isinstance(claims.get("sub"), str) and bool(claims.get("sub")), "the ID token has no subject"),
        )
        for ok, message in checks:
            if not ok:
                raise TokenInvalid(message)
        return claims


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
