"""Finding a municipality by the name people use, and the form's answer on Enter: the one match chosen, or why
not (none, or several listed), the typed text kept — server-side, so it works without JavaScript (issue
15)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.provider_stack import offline_broker_link

from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.municipalities import find_municipalities
from databrug.provider_demo.services import build_services
from databrug.provider_demo.web.app import create_provider_app

WEBHOOK_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Den Haag", ["'s-Gravenhage"]),
        ("den bosch", ["'s-Hertogenbosch"]),
        ("s-Gravenhage", ["'s-Gravenhage"]),
        ("sgravenhage", ["'s-Gravenhage"]),
        ("'S-HERTOGENBOSCH", ["'s-Hertogenbosch"]),
        ("sudwest fryslan", ["Súdwest-Fryslân"]),
        ("Zoeter", ["Zoetermeer", "Zoeterwoude"]),
        ("zoetermeer", ["Zoetermeer"]),
        ("GM0637", ["Zoetermeer"]),
        ("Nuenen", ["Nuenen, Gerwen en Nederwetten"]),
        ("Atlantis", []),
        ("  ", []),
    ],
)
def test_common_names_find_their_municipality(typed: str, found: list[str]) -> None:
    assert [m.name for m in find_municipalities(typed)] == found


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = ProviderSettings(database_url=f"sqlite:///{tmp_path / 'provider.sqlite3'}")
    app = create_provider_app(build_services(settings, link=offline_broker_link(WEBHOOK_SECRET)))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_enter_on_an_alias_chooses_the_municipality(client: TestClient) -> None:
    page = client.get("/aanvragen", params={"gemeente": "Den Haag"}).text
    assert "Gemeente 's-Gravenhage" in page.replace("&#39;", "'")
    assert 'data-testid="municipality-search"' not in page


def test_enter_on_part_of_several_names_lists_them_and_keeps_the_text(client: TestClient) -> None:
    page = client.get("/aanvragen", params={"gemeente": "Zoeter"}).text
    assert 'value="Zoeter"' in page
    assert "Meer gemeenten passen bij ‘Zoeter’" in page
    assert '<a href="/aanvragen?gemeente=GM0637">Zoetermeer</a>' in page
    assert '<a href="/aanvragen?gemeente=GM0638">Zoeterwoude</a>' in page


def test_enter_on_an_unknown_name_says_so_and_keeps_the_text(client: TestClient) -> None:
    page = client.get("/aanvragen", params={"gemeente": "Atlantis"}).text
    assert 'value="Atlantis"' in page
    assert "Geen gemeente gevonden bij ‘Atlantis’" in page
    assert 'aria-invalid="true"' in page
