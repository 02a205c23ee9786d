"""The sandbox DigiD over real HTTP: the whole OIDC flow as a browser walks it, and every refusal."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qsl, quote_plus, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from tests.integration.sandbox.conftest import CONFIDENTIAL_CLIENT, CONFIDENTIAL_SECRET, TEST_PASSWORD
from tests.support.digid_flow import Callback, DigidBrowser, read_page

from databrug_sandbox.server import SandboxServer

MIDDEN_ACR = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract"
BASIS_ACR = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def _bsn_of(sandbox: SandboxServer, username: str) -> str:
    account = sandbox.idp.accounts.find(username)
    assert account is not None
    return account.bsn


def test_discovery_names_the_endpoints_and_s256_only(sandbox: SandboxServer) -> None:
    doc = httpx.get(f"{sandbox.base_url}/digid/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{sandbox.base_url}/digid"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    # OIDC Discovery 1.0 §3: RS256 MUST be listed (an RS256-only client could not use the IdP otherwise)
    assert doc["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert doc[name].startswith(doc["issuer"] + "/")
    jwks = httpx.get(doc["jwks_uri"]).json()
    assert sorted((k["kty"], k["alg"]) for k in jwks["keys"]) == [("EC", "ES256"), ("RSA", "RS256")]
    assert all("d" not in k for k in jwks["keys"]), "the JWKS must not publish the private key"


def test_full_flow_gives_an_id_token_that_verifies_with_the_jwks(
    sandbox: SandboxServer, browser: DigidBrowser
) -> None:
    tokens = browser.tokens("test-a", TEST_PASSWORD, acr_values=MIDDEN_ACR)
    keys = KeySet.import_key_set(httpx.get(f"{sandbox.base_url}/digid/jwks").json())
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["ES256"])
    claims = id_token.claims
    assert id_token.header["kid"] == keys.keys[0].kid
    assert claims["iss"] == f"{sandbox.base_url}/digid"
    assert claims["aud"] == "databrug"
    assert claims["nonce"] == tokens["_nonce"]
    assert claims["sub"] == _bsn_of(sandbox, "test-a")
    assert (claims["acr"], claims["loa"]) == (MIDDEN_ACR, "midden")
    assert claims["iat"] <= time.time() < claims["exp"]

    access = jwt.decode(tokens["access_token"], keys, algorithms=["ES256"]).claims
    assert access["aud"] == "sandbox-portals"
    assert access["sub"] == claims["sub"]
    assert tokens["token_type"] == "Bearer"

    info = httpx.get(
        f"{sandbox.base_url}/digid/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"]
    assert httpx.get(f"{sandbox.base_url}/digid/userinfo").status_code == 401


def test_pages_are_dutch_labelled_and_marked_sandbox(browser: DigidBrowser) -> None:
    page = browser.open(browser.authorize_url(browser.new_attempt()))
    assert isinstance(page, httpx.Response)
    reader = read_page(page.text)
    assert reader.html_lang == "nl"
    assert "SANDBOX" in page.text
    assert {"username", "password"} <= reader.labels_for
    assert set(reader.forms[0].input_names) <= reader.labels_for


def test_sms_is_in_the_inbox_page_and_api_and_the_log_never_has_the_password(
    browser: DigidBrowser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="databrug_sandbox")
    attempt = browser.new_attempt()
    page = browser.open(browser.authorize_url(attempt))
    assert isinstance(page, httpx.Response)
    sms_page = browser.submit(page, "login", username="test-b", password=TEST_PASSWORD)
    assert isinstance(sms_page, httpx.Response)
    code = browser.sms_code("test-b")
    assert len(code) == 6
    assert code.isdigit()
    inbox = browser.http.get(f"{browser.base_url}/digid/sms", params={"username": "test-b"})
    assert code in inbox.text
    assert any(code in r.getMessage() for r in caplog.records)
    assert not any(TEST_PASSWORD in r.getMessage() for r in caplog.records)
    # The first RvIG test BSN is behind test-b's login; it must not show in a log line either.
    assert (
        browser.http.get(f"{browser.base_url}/digid/api/sms", params={"username": "nobody"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("overrides", "expected_error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"acr_values": "urn:example:unknown"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_bad_authorization_requests_go_back_as_oidc_errors(
    browser: DigidBrowser, overrides: dict[str, str | None], expected_error: str
) -> None:
    attempt = browser.new_attempt()
    end = browser.open(browser.authorize_url(attempt, **overrides))
    assert isinstance(end, Callback)
    assert end.params["error"] == expected_error
    assert end.params["state"] == attempt.state
    assert "code" not in end.params


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "unknown-client"},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": None},
    ],
)
def test_unknown_client_or_redirect_uri_gets_a_page_never_a_redirect(
    browser: DigidBrowser, overrides: dict[str, str | None]
) -> None:
    response = browser.http.get(browser.authorize_url(browser.new_attempt(), **overrides))
    assert response.status_code == 400
    assert "location" not in response.headers


def test_wrong_or_missing_verifier_is_refused_and_burns_the_code(browser: DigidBrowser) -> None:
    attempt, end = browser.login("test-a", TEST_PASSWORD)
    assert isinstance(end, Callback)
    wrong = browser.exchange(end.code, browser.new_attempt().verifier)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    # The code was spent by the failed attempt: the right verifier no longer helps.
    assert browser.exchange(end.code, attempt.verifier).status_code == 400

    attempt, end = browser.login("test-a", TEST_PASSWORD)
    assert isinstance(end, Callback)
    missing = browser.exchange(end.code, None)
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_grant")


def test_code_is_single_use(browser: DigidBrowser) -> None:
    attempt, end = browser.login("test-a", TEST_PASSWORD)
    assert isinstance(end, Callback)
    assert browser.exchange(end.code, attempt.verifier).status_code == 200
    again = browser.exchange(end.code, attempt.verifier)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_redirect_uri_must_match_at_the_token_endpoint(browser: DigidBrowser) -> None:
    attempt, end = browser.login("test-a", TEST_PASSWORD)
    assert isinstance(end, Callback)
    response = browser.exchange(end.code, attempt.verifier, redirect_uri="http://127.0.0.1:8700/other")
    assert response.json()["error"] == "invalid_grant"


def test_unknown_client_at_the_token_endpoint(browser: DigidBrowser) -> None:
    response = browser.http.post(
        f"{browser.base_url}/digid/token",
        data={
            "grant_type": "authorization_code",
            "code": "x",
            "client_id": "nope",
            "code_verifier": "y" * 43,
        },
    )
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


@pytest.mark.parametrize("step", ["password", "sms"])
def test_cancel_returns_access_denied_with_state(browser: DigidBrowser, step: str) -> None:
    attempt = browser.new_attempt()
    page = browser.open(browser.authorize_url(attempt))
    assert isinstance(page, httpx.Response)
    if step == "sms":
        page = browser.submit(page, "login", username="test-b", password=TEST_PASSWORD)
        assert isinstance(page, httpx.Response)
        assert 'name="code"' in page.text
    end = browser.submit(page, "cancel")
    assert isinstance(end, Callback)
    assert end.params["error"] == "access_denied"
    assert end.params["error_description"]
    assert end.params["state"] == attempt.state


def test_three_wrong_passwords_lock_the_account(sandbox: SandboxServer, browser: DigidBrowser) -> None:
    page = browser.open(browser.authorize_url(browser.new_attempt()))
    statuses = []
    for _ in range(3):
        assert isinstance(page, httpx.Response)
        page = browser.submit(page, "login", username="test-lock", password="wrong")
        assert isinstance(page, httpx.Response)
        statuses.append(page.status_code)
    assert statuses == [401, 401, 423]
    # Locked: even the right password is refused now, in a new login.
    _, end = browser.login("test-lock", TEST_PASSWORD)
    assert isinstance(end, httpx.Response)
    assert end.status_code == 423
    # The page's button goes back to the client with an OIDC error.
    back = browser.submit(end, "return")
    assert isinstance(back, Callback)
    assert back.params["error"] == "access_denied"
    assert "account_locked" in back.params["error_description"]

    assert browser.http.delete(f"{sandbox.base_url}/admin/lockouts/test-lock").status_code == 200
    _, end = browser.login("test-lock", TEST_PASSWORD)
    assert isinstance(end, Callback)
    assert "code" in end.params


def test_three_wrong_sms_codes_lock_the_account(sandbox: SandboxServer, browser: DigidBrowser) -> None:
    page = browser.open(browser.authorize_url(browser.new_attempt()))
    assert isinstance(page, httpx.Response)
    page = browser.submit(page, "login", username="test-lock-sms", password=TEST_PASSWORD)
    right = browser.sms_code("test-lock-sms")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    statuses = []
    for _ in range(3):
        assert isinstance(page, httpx.Response)
        page = browser.submit(page, "verify", code=wrong)
        assert isinstance(page, httpx.Response)
        statuses.append(page.status_code)
    assert statuses == [401, 401, 423]
    assert sandbox.idp.lockout.locked_for("test-lock-sms") > 0
    sandbox.idp.lockout.reset("test-lock-sms")


def test_without_sms_the_login_completes_at_basis_without_an_sms_step(
    sandbox: SandboxServer, browser: DigidBrowser
) -> None:
    tokens = browser.tokens("test-nosms", TEST_PASSWORD)
    claims = jwt.decode(tokens["id_token"], sandbox.idp.key.key).claims
    assert (claims["loa"], claims["acr"]) == ("basis", BASIS_ACR)
    assert sandbox.idp.inbox.latest("test-nosms") is None


@pytest.mark.parametrize("ask", [{"acr_values": MIDDEN_ACR}, {"loa": "midden"}, {"acr_values": "midden"}])
def test_without_sms_a_midden_request_shows_how_to_activate_and_returns_loa_not_met(
    browser: DigidBrowser, ask: dict[str, str]
) -> None:
    attempt, end = browser.login("test-nosms", TEST_PASSWORD, **ask)
    assert isinstance(end, httpx.Response)
    assert end.status_code == 403
    assert "sms-controle" in end.text.lower()
    assert "Mijn DigiD" in end.text
    back = browser.submit(end, "return")
    assert isinstance(back, Callback)
    assert back.params["error"] == "access_denied"
    assert "loa_not_met" in back.params["error_description"]
    assert back.params["state"] == attempt.state


def test_with_sms_a_basis_request_needs_only_the_password(
    sandbox: SandboxServer, browser: DigidBrowser
) -> None:
    tokens = browser.tokens("test-a", TEST_PASSWORD, loa="basis")
    assert jwt.decode(tokens["access_token"], sandbox.idp.key.key).claims["loa"] == "basis"


def test_a_flow_handle_cannot_be_replayed_after_the_login(browser: DigidBrowser) -> None:
    attempt = browser.new_attempt()
    page = browser.open(browser.authorize_url(attempt))
    assert isinstance(page, httpx.Response)
    flow_id = read_page(page.text).forms[0].fields["flow"]
    after = browser.submit(page, "login", username="test-nosms", password=TEST_PASSWORD)
    assert isinstance(after, Callback)
    replay = browser.http.post(
        f"{browser.base_url}/digid/login",
        data={"flow": flow_id, "username": "test-nosms", "password": TEST_PASSWORD, "action": "login"},
    )
    assert replay.status_code == 400
    assert "location" not in replay.headers


def test_authorization_request_by_post_form(browser: DigidBrowser) -> None:
    attempt = browser.new_attempt()
    query = dict(parse_qsl(urlsplit(browser.authorize_url(attempt)).query))
    page = browser.follow(browser.http.post(f"{browser.base_url}/digid/authorize", data=query))
    assert isinstance(page, httpx.Response)
    assert page.status_code == 200
    assert 'name="password"' in page.text


def test_confidential_client_must_authenticate(sandbox: SandboxServer) -> None:
    with DigidBrowser(sandbox.base_url, client_id=CONFIDENTIAL_CLIENT) as browser:
        attempt, end = browser.login("test-a", TEST_PASSWORD)
        assert isinstance(end, Callback)
        form = {
            "grant_type": "authorization_code",
            "code": end.code,
            "redirect_uri": attempt.redirect_uri,
            "code_verifier": attempt.verifier,
        }
        token_url = f"{sandbox.base_url}/digid/token"
        no_secret = browser.http.post(token_url, data={**form, "client_id": CONFIDENTIAL_CLIENT})
        assert (no_secret.status_code, no_secret.json()["error"]) == (401, "invalid_client")
        wrong = browser.http.post(token_url, data=form, auth=(CONFIDENTIAL_CLIENT, "wrong"))
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"].startswith("Basic")
        # Client authentication fails before the code is looked at, so the code is still good.
        credentials = f"{quote_plus(CONFIDENTIAL_CLIENT)}:{quote_plus(CONFIDENTIAL_SECRET)}"
        basic = "Basic " + base64.b64encode(credentials.encode()).decode()
        ok = browser.http.post(token_url, data=form, headers={"Authorization": basic})
        assert ok.status_code == 200, ok.text
        # a client that registered no algorithm gets RS256 ID tokens (OIDC Registration §2), which verify
        # with the RSA key of the published JWKS alone
        keys = KeySet.import_key_set(httpx.get(f"{sandbox.base_url}/digid/jwks").json())
        id_token = jwt.decode(ok.json()["id_token"], keys, algorithms=["RS256"])
        assert id_token.header["alg"] == "RS256"
        assert id_token.header["kid"] == next(k.kid for k in keys.keys if k.key_type == "RSA")
        claims = id_token.claims
        assert claims["aud"] == CONFIDENTIAL_CLIENT
