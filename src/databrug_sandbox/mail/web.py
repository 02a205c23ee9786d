"""The mail catcher's pages: the list of caught messages and each message (text, and HTML in a sandbox)."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response

from databrug_sandbox.mail.store import CaughtMail, MailStore

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;line-height:1.5}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ccc}"
    "pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}"
    "iframe{width:100%;height:32rem;border:1px solid #ccc}"
    ".banner{background:#fff3cd;padding:.5rem 1rem}"
)


def _page(title: str, body: str) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="nl"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>"
        f'<p class="banner">SANDBOX mail catcher — berichten worden niet echt verstuurd.</p>'
        f"<main>{body}</main></body></html>"
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _row(mail: CaughtMail) -> str:
    return (
        f"<tr><td>{escape(mail.received_at.strftime('%Y-%m-%d %H:%M:%S'))}</td><td>{escape(mail.to)}</td>"
        f'<td><a href="/messages/{mail.id}">{escape(mail.subject or "(geen onderwerp)")}</a></td></tr>'
    )


def create_mail_app(store: MailStore) -> FastAPI:
    app = FastAPI(title="Databrug sandbox mail catcher", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def inbox() -> HTMLResponse:
        mails = store.all()
        rows = "".join(_row(m) for m in mails) or '<tr><td colspan="3">Nog geen berichten.</td></tr>'
        return _page(
            "Mail catcher",
            "<h1>Ontvangen e-mail</h1><table><thead><tr><th scope='col'>Ontvangen</th>"
            "<th scope='col'>Aan</th><th scope='col'>Onderwerp</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>",
        )

    @app.get("/messages/{mail_id}", response_class=HTMLResponse)
    async def message(mail_id: int) -> HTMLResponse:
        mail = store.get(mail_id)
        if mail is None:
            raise HTTPException(404)
        html_view = (
            f'<h2>HTML</h2><iframe sandbox title="HTML" src="/messages/{mail.id}/html"></iframe>'
            if mail.html
            else ""
        )
        return _page(
            mail.subject,
            f'<p><a href="/">← alle berichten</a></p><h1>{escape(mail.subject)}</h1>'
            f"<dl><dt>Van</dt><dd>{escape(mail.sender)}</dd><dt>Aan</dt><dd>{escape(mail.to)}</dd></dl>"
            f"<h2>Tekst</h2><pre>{escape(mail.text)}</pre>{html_view}",
        )

    @app.get("/messages/{mail_id}/html")
    async def message_html(mail_id: int) -> Response:
        mail = store.get(mail_id)
        if mail is None or mail.html is None:
            raise HTTPException(404)
        return Response(
            mail.html,
            media_type="text/html",
            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"},
        )

    @app.get("/api/messages")
    async def api_messages() -> list[dict[str, Any]]:
        return [m.as_dict() for m in store.all()]

    @app.delete("/api/messages", status_code=204)
    async def api_clear() -> Response:
        store.clear()
        return Response(status_code=204)

    return app
