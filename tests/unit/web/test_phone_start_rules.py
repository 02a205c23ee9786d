"""Which device an invitation opens on (the phone-only start) and where "back to the provider" leads."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from databrug.registrations.model import ProviderRegistration
from databrug.web.computer import is_phone

PIXEL = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


@pytest.mark.parametrize(
    ("user_agent", "hint", "phone"),
    [
        (PIXEL, None, True),
        (IPHONE, None, True),
        (DESKTOP, None, False),
        (DESKTOP, "?1", True),  # the client hint decides where a browser sends it
        (PIXEL, "?0", False),  # e.g. Chrome's "desktop site" on a phone
        (None, None, False),
        (DESKTOP, "nonsense", False),
    ],
)
def test_a_phone_by_client_hint_else_user_agent(
    user_agent: str | None, hint: str | None, phone: bool
) -> None:
    assert is_phone(user_agent, hint) is phone


def _registration(return_url: str) -> ProviderRegistration:
    return ProviderRegistration(
        id="p-test",
        display_name="P",
        return_url=return_url,
        encryption_jwks={"keys": [{"kid": "k"}]},
        purposes=["gemeentepolis"],
        retention_days=365,
        privacy_statement_url="https://provider.example/privacy",
    )


def test_the_return_url_carries_the_reference_url_encoded() -> None:
    provider = _registration("https://provider.example/aanvraag/{reference}?van=databrug")
    assert provider.return_url_for("c_a/b?x=1&y") == (
        "https://provider.example/aanvraag/c_a%2Fb%3Fx%3D1%26y?van=databrug"
    )
    assert _registration("https://provider.example/").return_url_for("c_1") == "https://provider.example/"


@pytest.mark.parametrize(
    "return_url",
    ["https://{reference}.example/", "https://provider.example:{reference}/", "javascript:{reference}"],
)
def test_the_reference_placeholder_is_refused_outside_path_and_query(return_url: str) -> None:
    with pytest.raises(ValidationError):
        _registration(return_url)
