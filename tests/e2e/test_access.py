"""Keyboard only and 200% zoom on the computer pages; the installable app's manifest and service worker."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.screens import Shots, assert_accessible
from tests.e2e.stack import Stack


def _no_sideways_scrolling(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_keyboard_only_through_the_computer_pages(stack: Stack, desktop: Page, shots: Shots) -> None:
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-keyboard")
    desktop.goto(created.citizen_url)
    desktop.keyboard.press("Tab")
    expect(desktop.locator(".skip-link")).to_be_focused()  # first stop: skip to the content
    desktop.keyboard.press("Enter")
    # from the content, tabbing reaches the start button; Enter follows it
    for _ in range(12):
        desktop.keyboard.press("Tab")
        if desktop.evaluate("() => document.activeElement.dataset.testid") == "start":
            break
    expect(desktop.get_by_test_id("start")).to_be_focused()
    desktop.keyboard.press("Enter")
    expect(desktop).to_have_url(re.compile(r"/c/checklist$"))
    desktop.get_by_test_id("next").focus()
    desktop.keyboard.press("Enter")
    desktop.get_by_test_id("have-app").focus()
    desktop.keyboard.press("Enter")
    expect(desktop).to_have_url(re.compile(r"/c/qr$"))


def test_pages_reflow_at_200_percent_zoom(stack: Stack, desktop: Page, shots: Shots) -> None:
    """200% zoom of a 1280 px window is a 640 px layout: everything fits, nothing scrolls sideways."""
    with stack.provider() as provider:
        created = provider.create_session(reference="e2e-zoom")
    desktop.set_viewport_size({"width": 640, "height": 450})
    desktop.goto(created.citizen_url)
    for path in ("/c/info", "/c/checklist", "/c/install", "/c/qr", "/app/"):
        desktop.goto(f"{stack.broker_url}{path}")
        assert _no_sideways_scrolling(desktop), f"{path} scrolls sideways at 200% zoom"
    shots.take(desktop, "qr-at-200-percent")
    assert_accessible(desktop, "app start at 200%")


def test_app_is_installable(stack: Stack) -> None:
    manifest = httpx.get(f"{stack.broker_url}/app/manifest.webmanifest?lang=en", timeout=5)
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == "/app/"
    assert body["scope"] == "/app/"
    assert body["display"] == "standalone"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in body["icons"]}
    for icon in body["icons"]:
        assert httpx.get(f"{stack.broker_url}{icon['src']}", timeout=5).headers["content-type"] == "image/png"
    worker = httpx.get(f"{stack.broker_url}/app/sw.js", timeout=5)
    assert worker.headers["content-type"].startswith("text/javascript")
    # the worker caches static files only: it never stores a page or an API answer
    assert '"/static/"' in worker.text
    assert "cache.put" not in worker.text


def test_service_worker_registers_in_the_app(stack: Stack, desktop: Page) -> None:
    """Chromium treats 127.0.0.1 as a secure context, so the worker registers and controls /app/."""
    desktop.goto(f"{stack.broker_url}/app/")
    scope = desktop.evaluate("() => navigator.serviceWorker.ready.then(registration => registration.scope)")
    assert scope == f"{stack.broker_url}/app/"
