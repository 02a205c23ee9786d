"""The invitation e-mail (Dutch and English), sent over SMTP: the demo's mail catcher or a real server."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.email_address import checked_email

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def dutch_time(value: datetime) -> str:
    """A moment as Dutch clocks show it, in the e-mail and the back office alike. A time without a zone (as
    the database gives them back) is UTC, as it was stored, not the server's local time."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


@dataclass(frozen=True)
class Invitation:
    to: str
    name: str
    municipality: str
    link: str
    expires_at: datetime
    language: str


_TEXT = {
    "nl": (
        "Uw aanvraag voor de gemeentepolis van {municipality}",
        "Beste {name},\n\n"
        "Bedankt voor uw aanvraag voor de collectieve zorgverzekering (gemeentepolis) van {municipality}.\n\n"
        "Om uw aanvraag te beoordelen hebben wij uw gegevens over inkomen en vermogen nodig. Die haalt u "
        "zelf op bij de overheid (MijnOverheid, UWV, Belastingdienst en Mijnpensioenoverzicht) met DigiD, "
        "en u bepaalt zelf of u ze met ons deelt. Heeft u een partner, dan doet uw partner ook mee.\n\n"
        "Start hier (persoonlijke link, geldig tot {expires}):\n{link}\n\n"
        "Deel deze link met niemand. Wij vragen u nooit om uw DigiD-wachtwoord.\n\n"
        "Met vriendelijke groet,\nGezondverzekerd (demo)\n",
    ),
    "en": (
        "Your application for the {municipality} municipal health insurance",
        "Dear {name},\n\n"
        "Thank you for applying for the collective health insurance (gemeentepolis) of {municipality}.\n\n"
        "To assess your application we need your income and asset data. You fetch them yourself from the "
        "government (MijnOverheid, UWV, Belastingdienst and Mijnpensioenoverzicht) with DigiD, and you "
        "decide whether to share them with us. If you have a partner, your partner takes part too.\n\n"
        "Start here (personal link, valid until {expires}):\n{link}\n\n"
        "Do not share this link. We will never ask for your DigiD password.\n\n"
        "Kind regards,\nGezondverzekerd (demo)\n",
    ),
}


class MailError(Exception):
    """The invitation was not sent; the message says why (the SMTP server that failed, or a recipient that
    is not an address), never to whom."""


def invitation_message(invitation: Invitation, sender: str) -> EmailMessage:
    """The invitation to ``invitation.to``; ``MailError`` when that is not an address the application form
    would accept (``email_address.py``): nothing is sent to a part of it, no header is built from it."""
    to = checked_email(invitation.to)
    if to is None:
        raise MailError("the recipient is not a valid e-mail address; nothing was sent")
    subject, body = _TEXT.get(invitation.language, _TEXT["nl"])
    expires = dutch_time(invitation.expires_at)
    values = {
        "name": invitation.name,
        "municipality": invitation.municipality,
        "link": invitation.link,
        "expires": expires,
    }
    message = EmailMessage()
    message["Subject"] = subject.format(**values)
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="gezondverzekerd.invalid")
    message.set_content(body.format(**values))
    return message


def send(message: EmailMessage, settings: ProviderSettings) -> None:
    try:
        kind = smtplib.SMTP_SSL if settings.smtp_ssl else smtplib.SMTP
        with kind(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls and not settings.smtp_ssl:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(
            f"SMTP {settings.smtp_host}:{settings.smtp_port} failed ({type(error).__name__})"
        ) from None
