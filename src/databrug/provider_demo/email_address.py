"""One rule for what an e-mail address is, shared by the application form and the mailer.

Before, the form accepted anything with an ``@`` and a dot, and the mailer's header parser then read
``x"><svg/onload=alert(4)>@example.nl`` as the address ``x``: what was checked was not what was mailed to.
Now both ask ``email-validator`` (the library pydantic's ``EmailStr`` uses): a plain ASCII mailbox address,
no display name, no quoted or IP-literal parts, at most 254 characters; and both use its normalised form.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def checked_email(text: str) -> str | None:
    """The address in its normalised form (as stored and as mailed to), or None when it is not one."""
    try:
        valid = validate_email(text.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return valid.normalized
