"""The typed refusals of the purpose templates (their words: ``web/messages``, key ``error.<code>``)."""

from __future__ import annotations

from collections.abc import Sequence

from databrug.errors import CodedError


class PurposeError(CodedError):
    """A request or registration that does not fit a purpose template."""


class PurposeExceeded(PurposeError):
    """Asking more than the template allows; ``fields`` names what, e.g. ``["history.wage_months"]``."""

    code = "purpose_exceeded"

    def __init__(self, fields: Sequence[str], purpose: str) -> None:
        self.fields = list(fields)
        super().__init__(
            f"the request asks more than purpose template {purpose} allows: {', '.join(self.fields)}"
        )


class PurposeNotRegistered(PurposeError):
    """A session asks under a purpose its provider's registration does not name."""

    code = "purpose_not_registered"

    def __init__(self) -> None:
        super().__init__("the purpose is not one of the provider's registered purposes")


class PurposeUnknown(PurposeError, ValueError):
    """No published template has this id (or version). A ``ValueError`` too, so a registration naming one
    fails validation with this message."""

    code = "purpose_not_registered"

    def __init__(self, what: str) -> None:
        super().__init__(f"no published purpose template {what!r} (docs/purposes.md)")
