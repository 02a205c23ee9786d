"""A registration's return and webhook URLs: https, or http on a loopback host for development (issue 14)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from databrug.registrations.model import ProviderRegistration

PUBLIC_JWKS = {
    "keys": [{"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k1"}]
}


def registration(return_url: str, webhook_url: str | None = None) -> ProviderRegistration:
    return ProviderRegistration(
        id="gemeente-test",
        display_name="Gemeente Test",
        return_url=return_url,
        webhook_url=webhook_url,
        encryption_jwks=PUBLIC_JWKS,
        purposes=["gemeentepolis"],
        retention_days=365,
        privacy_statement_url="https://gemeente.example/privacy",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://gemeente.example/terug",
        "https://gemeente.example:8443/terug?bron=databrug",
        "http://127.0.0.1:8710/",
        "http://127.3.4.5/",
        "http://localhost:8710/terug",
        "http://[::1]:8710/",
        "HTTPS://Gemeente.Example/",
    ],
)
def test_safe_urls_are_accepted(url: str) -> None:
    assert registration(url, url).return_url == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("javascript:alert(1)", "must be an https URL"),
        ("JavaScript://gemeente.example/%0Aalert(1)", "must be an https URL"),
        ("data:text/html,<script>alert(1)</script>", "must be an https URL"),
        ("ftp://gemeente.example/", "must be an https URL"),
        ("//gemeente.example/terug", "must be an https URL"),
        ("/terug", "must be an https URL"),
        ("https:///terug", "must be an https URL"),
        ("http://gemeente.example/terug", "must use https"),
        ("http://10.0.0.8/terug", "must use https"),
        ("http://localhost.gemeente.example/", "must use https"),
        ("https://user:pass@gemeente.example/", "user name or password"),
        ("https://gemeente.example@evil.example/", "user name or password"),
        ("https://gemeente.example:port/", "not a valid URL"),
        ("https://gemeente.example/ terug", "spaces, control characters"),
        ("https://gemeente.example/\nSet-Cookie:x", "spaces, control characters"),
        ("https:\\\\evil.example/", "spaces, control characters or backslashes"),
    ],
)
def test_unsafe_urls_are_refused_for_both(url: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        registration(url)
    with pytest.raises(ValidationError, match=reason):
        registration("https://gemeente.example/", webhook_url=url)


def test_a_webhook_url_has_no_fragment_but_a_return_url_may() -> None:
    assert registration("https://gemeente.example/#klaar").return_url.endswith("#klaar")
    with pytest.raises(ValidationError, match="must not contain a fragment"):
        registration("https://gemeente.example/", webhook_url="https://gemeente.example/hook#x")


def test_the_validator_names_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        registration("https://gemeente.example/", webhook_url="javascript:alert(1)")
    assert refused.value.errors()[0]["loc"] == ("webhook_url",)
    assert "webhook_url must be an https URL" in refused.value.errors()[0]["msg"]
