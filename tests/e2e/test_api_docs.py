"""``/api/docs`` in a real browser (issue 19): Swagger UI renders the provider API's operations under the
broker's own CSP, with no CSP violation, no console error and no request to another site."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.e2e.stack import Stack

# Set up before the page's own scripts run (an init script is not subject to the page's CSP): every
# securitypolicyviolation the page raises, kept where the test can read it.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push({directive: event.violatedDirective, blocked: event.blockedURI});
});
"""


def test_the_api_reference_renders_under_the_broker_csp(stack: Stack, desktop: Page) -> None:
    console_errors: list[str] = []
    page_errors: list[str] = []
    requested: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    def on_request(request: Request) -> None:
        requested.append(request.url)

    desktop.on("console", on_console)
    desktop.on("pageerror", lambda error: page_errors.append(str(error)))
    desktop.on("request", on_request)
    failed: list[str] = []
    desktop.on(
        "response",
        lambda answer: failed.append(f"{answer.status} {answer.url}") if answer.status >= 400 else None,
    )
    desktop.add_init_script(RECORD_VIOLATIONS)

    response = desktop.goto(f"{stack.broker_url}/api/docs")
    assert response is not None
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]

    # The operations of the provider API, rendered by Swagger UI from the broker's OpenAPI document
    operations = desktop.locator("#swagger-ui .opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = {(text or "").strip() for text in operations.all_text_contents()}
    assert {
        "/api/v1/token",
        "/api/v1/sessions",
        "/api/v1/sessions/{session_id}",
        "/api/v1/sessions/{session_id}/events",
        "/api/v1/sessions/{session_id}/package/ack",
    } <= {path.replace("\u200b", "") for path in paths}
    # the bearer scheme is declared: Swagger UI offers to authorise, and locks the operations needing it
    expect(desktop.locator("#swagger-ui .btn.authorize")).to_be_visible()
    assert desktop.locator("#swagger-ui .opblock .authorization__btn").count() >= 6

    # open the events operation: its answer shows both media types
    events = desktop.locator("#swagger-ui .opblock-get", has_text="/events").first
    events.locator(".opblock-summary").click()
    expect(events.locator(".responses-wrapper")).to_be_visible()
    media_types = events.locator(".responses-wrapper select.content-type option").all_text_contents()
    assert "text/event-stream" in media_types, media_types

    violations: list[dict[str, Any]] = desktop.evaluate("() => window.__violations")
    assert violations == [], violations
    assert page_errors == [], page_errors
    assert failed == [], failed
    assert console_errors == [], console_errors
    own = urlsplit(stack.broker_url).netloc
    elsewhere = [
        url for url in requested if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != own
    ]
    assert elsewhere == [], elsewhere
