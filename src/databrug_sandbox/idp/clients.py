"""Registered OIDC clients and the redirect-URI rule.

Redirect URIs match exactly, with one relaxation from RFC 8252 §7.3: for a loopback URI (127.0.0.1, [::1],
localhost) any port matches, because local apps and test servers get a free port at start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from databrug_sandbox.idp.keys import IdTokenAlgorithm

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class ClientRegistration:
    client_id: str
    redirect_uris: tuple[str, ...]
    # None: a public client (an app) that proves itself with PKCE alone.
    client_secret: str | None = None
    name: str = ""
    allow_loopback_any_port: bool = True
    id_token_signed_response_alg: IdTokenAlgorithm = "RS256"  # noqa: S105 - an algorithm name
    """OIDC Dynamic Client Registration §2: RS256 unless the client registered another."""


@dataclass
class ClientRegistry:
    clients: dict[str, ClientRegistration] = field(default_factory=dict)

    @classmethod
    def of(cls, *registrations: ClientRegistration) -> ClientRegistry:
        return cls({r.client_id: r for r in registrations})

    def get(self, client_id: str | None) -> ClientRegistration | None:
        return self.clients.get(client_id or "")


def redirect_uri_allowed(client: ClientRegistration, candidate: str) -> bool:
    if candidate in client.redirect_uris:
        return True
    if not client.allow_loopback_any_port:
        return False
    try:
        asked = urlsplit(candidate)
        asked_port = asked.port
    except ValueError:
        return False
    if asked.hostname not in _LOOPBACK_HOSTS or asked.fragment or asked_port is None:
        return False
    for registered in client.redirect_uris:
        known = urlsplit(registered)
        if (
            known.hostname == asked.hostname
            and known.scheme == asked.scheme
            and known.path == asked.path
            and known.query == asked.query
        ):
            return True
    return False
