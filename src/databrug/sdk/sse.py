"""A small Server-Sent Events reader (WHATWG HTML §9.2 event stream interpretation), line by line."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SseMessage:
    event: str
    data: str
    id: str | None


@dataclass
class SseDecoder:
    """Feed lines (without the line break); a complete message comes out at each blank line."""

    _event: str = ""
    _data: list[str] = field(default_factory=list)
    _id: str | None = None
    last_event_id: str | None = None

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
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None

    def _dispatch(self) -> SseMessage | None:
        if self._id is not None:
            self.last_event_id = self._id
        if not self._data:
            self._event, self._id = "", None
            return None
        message = SseMessage(
            event=self._event or "message", data="\n".join(self._data), id=self.last_event_id
        )
        self._event, self._data, self._id = "", [], None
        return message
