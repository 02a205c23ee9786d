"""The SMTP side (aiosmtpd): accepts every message for any recipient, on loopback, and stores it."""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from databrug_sandbox.mail.store import MAX_MESSAGE_BYTES, MailStore


class _Handler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        self.store.add(str(envelope.mail_from or ""), [str(r) for r in envelope.rcpt_tos], content)
        return "250 Message accepted for delivery"


def smtp_controller(store: MailStore, host: str, port: int) -> Controller:
    """A started-on-demand SMTP server; ``controller.start()`` / ``.stop()``. Port 0 is not supported by
    aiosmtpd's readiness check, so callers pick a free port."""
    # aiosmtpd traces every DATA line at DEBUG; the inbox page is where mail is shown, not the log.
    logging.getLogger("mail.log").setLevel(logging.INFO)
    return Controller(_Handler(store), hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)
