"""The portals' token check and person scoping, over real HTTP with tokens from the sandbox DigiD."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from tests.integration.sandbox.conftest import TEST_PASSWORD
from tests.support.digid_flow import DigidBrowser

from databrug_sandbox.idp.keys import SigningKey
from databrug_sandbox.server import SandboxServer

BRP_PATH = "/mijnoverheid/haalcentraal/api/brp/personen"
PORTAL_GETS = [
    "/mijnoverheid/api/wozobjecten",
    "/mijnoverheid/api/voertuigen",
    "/uwv/api/verzekeringsbericht",
    "/belastingdienst/api/belastinggegevens",
    "/belastingdienst/api/toeslagen",
    "/mijnpensioenoverzicht/api/download?formaat=xml",
    "/mijnpensioenoverzicht/api/download?formaat=json",
]


Tokens = dict[str, dict[str, Any]]


def brp_query(*bsns: str) -> dict[str, Any]:
    return {
        "type": "RaadpleegMetBurgerservicenummer",
        "burgerservicenummer": list(bsns),
        "fields": ["burgerservicenummer", "naam"],
    }


@pytest.fixture(scope="module")
def tokens(sandbox: SandboxServer) -> Tokens:
    """Real tokens for the two test persons A and B, through the browser flow."""
    found = {}
    for username in ("test-a", "test-b"):
        with DigidBrowser(sandbox.base_url) as browser:
            found[username] = browser.tokens(username, TEST_PASSWORD, acr_values="midden")
    return found


def bsn(sandbox: SandboxServer, username: str) -> str:
    account = sandbox.idp.accounts.find(username)
    assert account is not None
    return account.bsn


def claims_for(sandbox: SandboxServer, username: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": sandbox.idp.issuer,
        "aud": "sandbox-portals",
        "sub": bsn(sandbox, username),
        "iat": now,
        "exp": now + 300,
        "loa": "midden",
        "acr": "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


# One client for the module: a new httpx client per request costs ~50 ms (TLS context set-up).
HTTP = httpx.Client(timeout=10.0)


def post_brp(sandbox: SandboxServer, token: str | None, body: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return HTTP.post(sandbox.base_url + BRP_PATH, json=body, headers=headers)


def test_own_brp_data_through_the_real_flow(sandbox: SandboxServer, tokens: Tokens) -> None:
    for username in ("test-a", "test-b"):
        own = bsn(sandbox, username)
        response = post_brp(sandbox, tokens[username]["access_token"], brp_query(own))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        people = response.json()["personen"]
        assert [p["burgerservicenummer"] for p in people] == [own]


def test_token_of_a_never_returns_data_of_b(sandbox: SandboxServer, tokens: Tokens) -> None:
    a_token = tokens["test-a"]["access_token"]
    a, b = bsn(sandbox, "test-a"), bsn(sandbox, "test-b")
    assert a != b
    for body in (brp_query(b), brp_query(a, b)):
        response = post_brp(sandbox, a_token, body)
        assert response.status_code == 403
        assert b not in response.text
    # WOZ: whatever A gets never names B.
    woz = HTTP.get(
        sandbox.base_url + "/mijnoverheid/api/wozobjecten", headers={"Authorization": f"Bearer {a_token}"}
    )
    assert b not in woz.text


@pytest.mark.parametrize(
    "body",
    [
        {"type": "ZoekMetPostcodeEnHuisnummer", "postcode": "1234AB", "huisnummer": 1, "fields": ["naam"]},
        {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": ["123"], "fields": ["naam"]},
        {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [], "fields": ["naam"]},
        {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": ["999993653"]},
        ["not", "an", "object"],
    ],
)
def test_bad_brp_queries_are_400(sandbox: SandboxServer, tokens: Tokens, body: object) -> None:
    response = post_brp(sandbox, tokens["test-a"]["access_token"], body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def _flip_signature_byte(token: str) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{header}.{payload}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def refused_tokens(sandbox: SandboxServer, good: str) -> dict[str, str]:
    sign = sandbox.idp.tokens.sign
    foreign = SigningKey.generate()
    foreign_same_kid = SigningKey(foreign.key)
    foreign_same_kid.kid = sandbox.idp.key.kid
    now, other_bsn = int(time.time()), bsn(sandbox, "test-b")
    return {
        "expired": sign(claims_for(sandbox, "test-a", iat=now - 3600, exp=now - 60)),
        "tampered signature": _flip_signature_byte(good),
        "tampered claims (other BSN)": _swap_payload(good, claims_for(sandbox, "test-a", sub=other_bsn)),
        "wrong audience": sign(claims_for(sandbox, "test-a", aud="databrug")),
        "wrong issuer": sign(claims_for(sandbox, "test-a", iss="https://evil.example/digid")),
        "no expiry": sign(claims_for(sandbox, "test-a", exp=None)),
        "no level": sign(claims_for(sandbox, "test-a", loa=None)),
        "unknown kid": foreign_token(foreign, claims_for(sandbox, "test-a")),
        "other key, same kid": foreign_token(foreign_same_kid, claims_for(sandbox, "test-a")),
        "unsigned (alg none)": _unsigned(claims_for(sandbox, "test-a")),
        "not a JWT": "garbage",
    }


def foreign_token(key: SigningKey, claims: dict[str, Any]) -> str:
    return jwt.encode(key.header(), claims, key.key)


def _unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_bad_tokens_are_401_with_www_authenticate(sandbox: SandboxServer, tokens: Tokens) -> None:
    good = tokens["test-a"]["access_token"]
    assert post_brp(sandbox, good, brp_query(bsn(sandbox, "test-a"))).status_code == 200
    for name, token in refused_tokens(sandbox, good).items():
        for path in [BRP_PATH, *PORTAL_GETS]:
            if path == BRP_PATH:
                response = post_brp(sandbox, token, brp_query(bsn(sandbox, "test-a")))
            else:
                response = HTTP.get(sandbox.base_url + path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, f"{name} at {path}: {response.status_code}"
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith("Bearer ")
            assert 'error="invalid_token"' in challenge


def test_missing_token_is_401_without_error_code(sandbox: SandboxServer) -> None:
    response = post_brp(sandbox, None, brp_query("999993653"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="sandbox-portals"'


def test_basis_token_is_403(sandbox: SandboxServer) -> None:
    with DigidBrowser(sandbox.base_url) as browser:
        basis = browser.tokens("test-nosms", TEST_PASSWORD)["access_token"]
    own = bsn(sandbox, "test-nosms")
    response = post_brp(sandbox, basis, brp_query(own))
    assert response.status_code == 403
    assert "insufficient_user_authentication" in response.headers["www-authenticate"]
    for path in PORTAL_GETS:
        response = HTTP.get(sandbox.base_url + path, headers={"Authorization": f"Bearer {basis}"})
        assert response.status_code == 403


def test_id_token_is_not_an_access_token(sandbox: SandboxServer, tokens: Tokens) -> None:
    id_token = tokens["test-a"]["id_token"]
    assert post_brp(sandbox, id_token, brp_query(bsn(sandbox, "test-a"))).status_code == 401


def test_pension_download_needs_a_known_format(sandbox: SandboxServer, tokens: Tokens) -> None:
    response = HTTP.get(
        sandbox.base_url + "/mijnpensioenoverzicht/api/download",
        params={"formaat": "pdf"},
        headers={"Authorization": f"Bearer {tokens['test-a']['access_token']}"},
    )
    assert response.status_code == 400


def test_a_missing_renderer_is_a_clear_501() -> None:
    from databrug_sandbox.portals.problems import PortalProblem
    from databrug_sandbox.portals.sources import borrowed

    with pytest.raises(PortalProblem) as caught:
        borrowed("databrug_sandbox.documents.not_there", "render_nothing")
    assert caught.value.status == 501
    assert "render_nothing" in caught.value.detail
