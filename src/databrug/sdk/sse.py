"""A small Server-Sent Events reader (WHATWG HTML §9.2 event stream interpretation), line by line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from databrug.sdk.errors import DatabrugError

MAX_MESSAGE_CHARS = 256 * 1024
"""The broker's events are a few hundred characters; a longer line or message ends the stream."""
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class SseMessage:
    event: str
    data: str
    id: str | None


@dataclass
class SseDecoder:
    """Feed lines (without the line break), or text as it arrives (``feed_text``); a complete message comes
    out at each blank line. Neither a line nor a message may grow past ``max_chars`` (``DatabrugError``)."""

    max_chars: int = MAX_MESSAGE_CHARS
    _event: str = ""
    _data: list[str] = field(default_factory=list)
    _size: int = 0
    _id: str | None = None
    _pending: str = ""
    last_event_id: str | None = None

    def feed_text(self, text: str) -> list[SseMessage]:
        """Messages completed by ``text``, a piece of the stream cut anywhere (even inside a CRLF)."""
        text = self._pending + text
        held = "\r" if text.endswith("\r") else ""  # maybe the first half of a CRLF: wait for the next piece
        lines = _LINE_END.split(text[: len(text) - len(held)])
        self._pending = lines.pop() + held
        if len(self._pending) > self.max_chars:
            raise self._too_long()
        return [message for line in lines if (message := self.feed(line)) is not None]

    def feed(self, line: str) -> SseMessage | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None  # comment / keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._size += len(value) + 1
            if self._size > self.max_chars:
                raise self._too_long()
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None

    def _too_long(self) -> DatabrugError:
        return DatabrugError(
            "unexpected_answer", f"an event stream message is over {self.max_chars} characters"
        )

    def _dispatch(self) -> SseMessage | None:
        if self._id is not None:
            self.last_event_id = self._id
        if not self._data:
            self._event, self._id = "", None
            return None
        message = SseMessage(
            event=self._event or "message", data="\n".join(self._data), id=self.last_event_id
        )
        self._event, self._data, self._size, self._id = "", [], 0, None
        return message
