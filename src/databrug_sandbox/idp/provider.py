"""The IdP's state in one object: configuration, accounts, keys, lock-outs, SMS inbox, flows and codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from databrug_sandbox.idp.accounts import AccountDirectory
from databrug_sandbox.idp.clients import ClientRegistry
from databrug_sandbox.idp.flows import AuthorizationCode, ExpiringStore, LoginFlow
from databrug_sandbox.idp.keys import ID_TOKEN_ALGORITHMS, SigningKey
from databrug_sandbox.idp.levels import ACR_BY_LEVEL, LEVELS
from databrug_sandbox.idp.lockout import Lockout
from databrug_sandbox.idp.sms import SmsInbox
from databrug_sandbox.idp.tokens import TokenIssuer

DIGID_PREFIX = "/digid"


@dataclass(frozen=True)
class IdpConfig:
    base_url: str  # public base URL of the sandbox, e.g. "http://127.0.0.1:8720" (no trailing slash)
    clients: ClientRegistry = field(default_factory=ClientRegistry)
    lockout_threshold: int = 3
    lockout_minutes: float = 15.0
    code_ttl_seconds: int = 60
    flow_ttl_seconds: int = 900
    token_ttl_seconds: int = 900


class DigidProvider:
    def __init__(self, config: IdpConfig, accounts: AccountDirectory, key: SigningKey | None = None) -> None:
        self.config = config
        self.accounts = accounts
        self.key = key or SigningKey.generate()
        self.issuer = config.base_url.rstrip("/") + DIGID_PREFIX
        self.tokens = TokenIssuer(self.key, self.issuer, config.token_ttl_seconds)
        self.lockout = Lockout(config.lockout_threshold, config.lockout_minutes)
        self.inbox = SmsInbox()
        self.flows: ExpiringStore[LoginFlow] = ExpiringStore(config.flow_ttl_seconds)
        self.codes: ExpiringStore[AuthorizationCode] = ExpiringStore(config.code_ttl_seconds)

    def url(self, path: str) -> str:
        return self.issuer + path

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.url("/authorize"),
            "token_endpoint": self.url("/token"),
            "userinfo_endpoint": self.url("/userinfo"),
            "jwks_uri": self.url("/jwks"),
            "scopes_supported": ["openid"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": list(ID_TOKEN_ALGORITHMS),
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": [ACR_BY_LEVEL[level] for level in LEVELS] + list(LEVELS),
            "claims_supported": [
                "iss",
                "aud",
                "sub",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "acr",
                "loa",
                "azp",
            ],
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": ["nl"],
        }
