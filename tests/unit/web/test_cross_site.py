"""The cross-site rule on its own (``web/cross_site.py``): which header combinations a browser sends from
another site's page, and which from the broker's own."""

from __future__ import annotations

import pytest

from databrug.web.cross_site import is_cross_site, origin_of

OWN = b"https://databrug.example.nl"


def headers(**values: str) -> list[tuple[bytes, bytes]]:
    return [(name.replace("_", "-").encode(), value.encode()) for name, value in values.items()]


@pytest.mark.parametrize(
    "sent",
    [
        {"origin": "https://evil.example"},
        {"origin": "https://databrug.example.nl.evil.example"},
        {"origin": "http://databrug.example.nl"},  # another scheme is another origin
        {"origin": "https://databrug.example.nl:8443"},
        {"origin": "null"},  # without fetch metadata, null proves nothing: any page can ask for it
        {"sec_fetch_site": "cross-site"},
        {"sec_fetch_site": "same-site"},  # a sibling host or, in the demo, another port of localhost
        {"sec_fetch_site": "cross-site", "origin": "null"},
        {"sec_fetch_site": "same-origin", "origin": "https://evil.example"},
        {"sec_fetch_site": "something-new"},
    ],
)
def test_refused(sent: dict[str, str]) -> None:
    assert is_cross_site(headers(**sent), OWN)


@pytest.mark.parametrize(
    "sent",
    [
        {},  # not a browser (the robot, the SDK): it holds no browser's cookies
        {"origin": "https://databrug.example.nl"},
        {"origin": "HTTPS://Databrug.Example.NL"},
        {"sec_fetch_site": "same-origin"},
        {"sec_fetch_site": "same-origin", "origin": "https://databrug.example.nl"},
        {"sec_fetch_site": "same-origin", "origin": "null"},  # a page under Referrer-Policy: no-referrer
        {"sec_fetch_site": "none"},  # typed or bookmarked by the person
    ],
)
def test_allowed(sent: dict[str, str]) -> None:
    assert not is_cross_site(headers(**sent), OWN)


def test_the_own_origin_is_scheme_host_and_port_of_the_public_url() -> None:
    assert origin_of("https://Databrug.example.nl/") == "https://databrug.example.nl"
    assert origin_of("http://127.0.0.1:8700") == "http://127.0.0.1:8700"
    assert origin_of("https://broker.example/base/path") == "https://broker.example"
    assert origin_of("https://broker.example:443/") == "https://broker.example"  # as a browser writes it
    assert origin_of("http://broker.example:80") == "http://broker.example"
    assert origin_of("https://broker.example:8443") == "https://broker.example:8443"
