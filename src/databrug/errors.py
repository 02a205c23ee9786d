"""The one root of every error the broker raises on purpose: a stable ``code`` and a message safe to show.

Each feature keeps its own error family (``SessionError``, ``SourceError``, …) under ``CodedError``; ``web/``
alone maps a code to HTTP and to words (``web/errors.py`` and the message catalogues), with one handler for
this class. A message names the rule that was broken, never a token, an id of a person or a personal value.
This module imports nothing of ours, so every part of the broker may use it.
"""

from __future__ import annotations


class CodedError(Exception):
    """An error with a stable ``code`` (a class attribute, or set per instance) and a safe ``message``."""

    code: str
    retry_after_seconds: int | None = None
    """Seconds after which trying again may help; the answer carries it as ``retry_after``."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class StoreUnavailable(CodedError):
    """A store the broker cannot work without (sessions, the webhook outbox) did not answer in time.

    Shared by the features that keep state in Redis, which may not import each other: the sessions' own
    ``StoreUnavailable`` is also a ``SessionError``; the webhook outbox raises this one."""

    code = "store_unavailable"
