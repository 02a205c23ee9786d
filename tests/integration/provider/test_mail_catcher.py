"""The sandbox mail catcher: a real SMTP conversation in, the inbox page and JSON out."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

from fastapi.testclient import TestClient

from databrug_sandbox.mail.smtp import smtp_controller
from databrug_sandbox.mail.store import MailStore
from databrug_sandbox.mail.web import create_mail_app


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_smtp_in_inbox_out() -> None:
    store = MailStore(capacity=2)
    port = _free_port()
    controller = smtp_controller(store, "127.0.0.1", port)
    controller.start()
    try:
        for number in range(3):
            message = EmailMessage()
            message["Subject"] = f"Uitnodiging <{number}>"
            message["From"] = "noreply@gezondverzekerd.invalid"
            message["To"] = "burger@example.nl"
            message.set_content(f"Start hier: http://127.0.0.1/start?t=dbp_{number}")
            message.add_alternative(f"<p onclick='x()'>Start {number}</p>", subtype="html")
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                smtp.send_message(message)
    finally:
        controller.stop()

    mails = store.all()
    assert [m.subject for m in mails] == ["Uitnodiging <2>", "Uitnodiging <1>"]  # newest first, bounded
    web = TestClient(create_mail_app(store))
    inbox = web.get("/")
    assert inbox.status_code == 200
    assert "Uitnodiging &lt;2&gt;" in inbox.text  # escaped
    page = web.get(f"/messages/{mails[0].id}")
    assert "dbp_2" in page.text
    assert "<iframe sandbox" in page.text
    html = web.get(f"/messages/{mails[0].id}/html")
    assert "sandbox" in html.headers["content-security-policy"]
    api = web.get("/api/messages").json()
    assert api[0]["envelope_to"] == ["burger@example.nl"]
    assert web.get("/messages/999").status_code == 404
    assert web.delete("/api/messages").status_code == 204
    assert store.all() == []


def test_provider_sends_the_invitation_over_smtp_and_names_no_recipient_on_failure() -> None:
    from datetime import UTC, datetime

    import pytest

    from databrug.provider_demo.config import ProviderSettings
    from databrug.provider_demo.mail import Invitation, MailError, invitation_message, send

    store = MailStore()
    port = _free_port()
    controller = smtp_controller(store, "127.0.0.1", port)
    controller.start()
    invitation = Invitation(
        to="burger@example.nl",
        name="Jan de Vries",
        municipality="Zutphen",
        link="http://127.0.0.1:8700/start?t=dbp_abc",
        expires_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        language="en",
    )
    try:
        send(
            invitation_message(invitation, "Demo <noreply@example.invalid>"), ProviderSettings(smtp_port=port)
        )
    finally:
        controller.stop()
    [mail] = store.all()
    assert mail.subject == "Your application for the Zutphen municipal health insurance"
    assert "http://127.0.0.1:8700/start?t=dbp_abc" in mail.text
    assert "01-12-2026 13:00" in mail.text  # Amsterdam time
    with pytest.raises(MailError) as failed:
        send(invitation_message(invitation, "x@example.invalid"), ProviderSettings(smtp_port=_free_port()))
    assert "burger" not in str(failed.value)
    assert "Jan" not in str(failed.value)
