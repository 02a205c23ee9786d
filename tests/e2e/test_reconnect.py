"""The computer page's live stream across a broker's drain: told to reconnect, the browser's EventSource comes
back (it does not fall back to polling) and the page still moves on by the events of the new stream."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, Request, Route, expect

from tests.e2e import flows
from tests.e2e.screens import Shots
from tests.e2e.stack import Stack


def _wait_for(streams: list[Request], more_than: int, page: Page) -> None:
    deadline = time.monotonic() + 10
    while len(streams) <= more_than:
        assert time.monotonic() < deadline, f"only {len(streams)} event stream request(s)"
        page.wait_for_timeout(100)  # lets Playwright deliver the page's events


def test_the_qr_page_reconnects_after_a_drain_and_follows_the_scan(
    stack: Stack, desktop: Page, phone: Page, shots: Shots
) -> None:
    streams: list[Request] = []
    desktop.on("request", lambda r: streams.append(r) if "/c/events" in r.url else None)

    def refuse(route: Route) -> None:  # the polling fallback cannot move the page on: only the stream can
        route.abort()

    desktop.route(re.compile(r".*/c/status\.json.*"), refuse)
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-reconnect")
    flows.open_invitation(desktop, created.citizen_url, shots, check=False)
    _wait_for(streams, 0, desktop)

    try:
        stack.set_draining(True)
        _wait_for(streams, 1, desktop)
    finally:
        stack.set_draining(False)
    desktop.wait_for_timeout(2000)  # the reconnect after the last "reconnect" (0.5 s) has landed and stays
    settled = len(streams)
    desktop.wait_for_timeout(1500)
    assert len(streams) == settled  # that stream stays open: no more reconnects, no fallback
    assert all(request.url == streams[0].url for request in streams)  # the same ?after=: same position

    token = " ".join(desktop.get_by_test_id("pairing-token").inner_text().split())
    phone.goto(f"{stack.broker_url}/app/pair?t={token.replace(' ', '')}")
    phone.get_by_test_id("pair").click()
    expect(phone).to_have_url(re.compile(r"/app/pairing$"))
    # pairing.scanned came over the reconnected stream: the computer asks for the code
    expect(desktop.locator('form[action="/c/confirm"]')).to_be_visible(timeout=10_000)
