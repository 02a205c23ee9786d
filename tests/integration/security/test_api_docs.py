"""``/api/docs`` works under the broker's own CSP: Swagger UI from the broker's packaged files (no CDN),
started by an external script (no inline one), every file it names served with the same CSP as any page."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from tests.support.broker_server import BrokerServer

from databrug.web.api_docs import SWAGGER_UI_VERSION
from databrug_sandbox.server import SandboxServer

VENDOR = Path(__file__).resolve().parents[3] / "src" / "databrug" / "web" / "static" / "vendor"


class Assets(HTMLParser):
    """What a browser would fetch for the page (scripts, styles, images) and what runs inline."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.inline_scripts: list[str] = []
        self.inline_styles = 0
        self.openapi_url: str | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found or tag == "style":
            self.inline_styles += 1
        if any(name.startswith("on") for name in found):
            self.inline_scripts.append(f"<{tag}> handler")
        if tag == "script":
            self._in_script = True
            if found.get("src"):
                self.fetched.append(str(found["src"]))
        elif tag == "link" and found.get("href") and found.get("rel") in ("stylesheet", "icon", "manifest"):
            self.fetched.append(str(found["href"]))
        elif tag == "img" and found.get("src"):
            self.fetched.append(str(found["src"]))
        if found.get("data-openapi-url"):
            self.openapi_url = found["data-openapi-url"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data.strip()[:60])


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(tmp_path_factory.mktemp("api-docs"), sandbox.base_url) as running:
        yield running


def test_the_api_docs_page_and_every_file_it_names_load_under_the_broker_csp(broker: BrokerServer) -> None:
    with httpx.Client(base_url=broker.url, timeout=10) as client:
        csp = client.get("/").headers["content-security-policy"]  # the CSP of every other page
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        page = client.get("/api/docs", headers={"Accept-Language": "nl"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == csp
        assert 'lang="nl"' in page.text

        assets = Assets()
        assets.feed(page.text)
        assert assets.inline_scripts == []  # script-src 'self' would refuse them
        assert assets.inline_styles == 0  # style-src 'self' likewise
        assert f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}-bundle.js" in assets.fetched
        assert f"/static/vendor/swagger-ui-{SWAGGER_UI_VERSION}.css" in assets.fetched
        assert "/static/api-docs.js" in assets.fetched
        assert "/static/api-docs.css" in assets.fetched
        for address in assets.fetched:
            absolute = urljoin(broker.url + "/api/docs", address)
            assert urlsplit(absolute).netloc == urlsplit(broker.url).netloc, address  # no CDN
            answer = client.get(address)
            assert answer.status_code == 200, address
            assert answer.headers["content-security-policy"] == csp, address
            assert answer.content, address

        assert assets.openapi_url == "/api/v1/openapi.json"
        document = client.get(assets.openapi_url)
        assert document.status_code == 200
        assert document.json()["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
        assert document.headers["content-security-policy"] == csp


def test_the_vendored_swagger_ui_comes_with_its_licence() -> None:
    licence = (VENDOR / "swagger-ui-LICENSE.txt").read_text(encoding="utf-8")
    assert "Apache License" in licence
    assert "Version 2.0" in licence
    assert (VENDOR / "swagger-ui-bundle-LICENSE-3RD-PARTY.txt").stat().st_size > 0
    source = (VENDOR / "SOURCE.md").read_text(encoding="utf-8")
    assert f"swagger-ui-dist@{SWAGGER_UI_VERSION}" in source
