"""Browser tests: Debian's Chromium driven by Playwright, a computer and a phone side by side.

The phone is a second Chromium whose camera is Chromium's fake capture device playing a Y4M file; each test
writes the QR code the computer page shows into that file before the phone starts its camera, so the app
really scans the QR code (nothing is read from the page's DOM to pair).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright

from tests.e2e.camera import blank_y4m
from tests.e2e.screens import TIMEOUT_MS, Shots, phone_options
from tests.e2e.stack import Stack, start_stack

CHROMIUM = Path("/usr/bin/chromium")
BASE_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _DesktopOptions(TypedDict):
    viewport: ViewportSize
    locale: str


DESKTOP: _DesktopOptions = {"viewport": {"width": 1280, "height": 900}, "locale": "nl-NL"}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("e2e-stack"))
    yield running
    running.stop()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            "the browser tests need Debian's Chromium at /usr/bin/chromium: install the package 'chromium' "
            "(make test runs scripts/system-deps.sh, or: sudo apt-get install chromium)",
            pytrace=False,
        )
    # Package scope, not session: while the sync driver is open its event loop counts as running in this
    # thread, so asyncio tests of other tiers must run only after it has closed.
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def camera_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "camera.y4m"
    blank_y4m(path)
    return path


@pytest.fixture(scope="package")
def desktop_browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BASE_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def phone_browser(playwright: Playwright, camera_file: Path) -> Iterator[Browser]:
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera_file}",
    ]
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=BASE_ARGS + camera, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def desktop(desktop_browser: Browser) -> Iterator[Page]:
    context = desktop_browser.new_context(**DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_context(phone_browser: Browser, playwright: Playwright) -> Iterator[BrowserContext]:
    context = phone_browser.new_context(**phone_options(playwright), permissions=["camera"])
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def phone(phone_context: BrowserContext) -> Page:
    return phone_context.new_page()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)
