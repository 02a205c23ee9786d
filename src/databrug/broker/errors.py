"""The broker's own refusals, each with a stable code (mapped to HTTP and words in ``web/errors.py``)."""

from __future__ import annotations

from databrug.errors import CodedError


class BrokerError(CodedError):
    """A broker-level refusal with a stable code (mapped to HTTP in ``web/errors.py``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
