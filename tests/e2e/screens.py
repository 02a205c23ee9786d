"""What the tests look at on a screen: screenshots of each step, axe-core's verdict, the QR for the camera."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Playwright

from tests.e2e.camera import y4m_from_png

ARTIFACTS = Path("test-artifacts/screenshots")
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 15_000


def phone_options(playwright: Playwright) -> dict[str, Any]:
    """A phone-sized, touch, mobile browser (Chromium's Pixel 7 profile), in Dutch."""
    # device pixel ratio 1 (the profile says 2.625): the same layout, screenshots 7x cheaper to take and keep
    return {**playwright.devices["Pixel 7"], "locale": "nl-NL", "device_scale_factor": 1}


class Shots:
    """Screenshots of every step, numbered in order, under test-artifacts/screenshots/<test>/."""

    def __init__(self, test_name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def take(self, page: Page, name: str, full_page: bool = True) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core in the page (evaluated through the DevTools protocol, so the page's CSP allows it)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result: dict[str, Any] = page.evaluate(
        "tags => window.axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return list(result["violations"])


def assert_accessible(page: Page, screen: str) -> None:
    violations = axe_violations(page)
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    ]
    assert not violations, f"axe found violations on '{screen}' ({page.url}):\n" + "\n".join(details)


def show_qr_to_camera(desktop: Page, camera_file: Path, keep: Path | None = None) -> None:
    """Point the phone's (fake) camera at the QR code on the computer screen (``keep``: save what it sees)."""
    png = desktop.get_by_test_id("pairing-qr").screenshot()
    if keep is not None:
        keep.write_bytes(png)
    y4m_from_png(png, camera_file)
