"""Errors the SDK raises. Every one is a ``DatabrugError`` with a stable ``code``."""

from __future__ import annotations


class DatabrugError(Exception):
    """An error from the broker (``status``: the HTTP status) or from the SDK's own checks (``status`` None).

    The broker answers errors as ``{"error": {"code": "...", "message": "..."}}``; ``code`` is stable, the
    message is for people. Neither ever contains personal data.
    """

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        self.code = code
        self.message = message
        self.status = status
        super().__init__(f"{code}: {message}" + (f" (HTTP {status})" if status is not None else ""))

    @property
    def gone(self) -> bool:
        """The broker answered 410: what was asked for is gone for good, do not ask again. A package is
        ``package_gone`` (acknowledged and erased) or ``package_expired`` (the session expired or the pick-up
        window passed), or the session ended without one (``session_cancelled``, ``session_failed``); a 409
        ``package_not_ready`` means ask again later."""
        return self.status == 410


class WebhookVerificationError(DatabrugError):
    """The webhook is not from the broker, or too old/new. Answer it with 400 and do not act on it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


class WebhookReplayed(WebhookVerificationError):
    """A correctly signed webhook whose id was seen before: already handled, answer 2xx and skip it."""

    def __init__(self) -> None:
        super().__init__("webhook_replayed", "this webhook-id was already received")


class PackageError(DatabrugError):
    """The package could not be decrypted, or its content is not a valid data package."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


class ReceiptError(DatabrugError):
    """A deletion receipt whose signature or content does not check out."""

    def __init__(self, message: str) -> None:
        super().__init__("receipt_invalid", message)
