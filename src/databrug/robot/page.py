"""Reading what a person reads on a page: forms, buttons, marked elements, the refresh hint."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of named submit buttons
    testids: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.texts: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str]] = {}
        self._open_form: Form | None = None
        self._capture: list[str] = []
        self._depth: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        testid = a.get("data-testid")
        if testid:
            self.attrs[testid] = a
            self._depth.append((tag, testid))
            self._capture.append(testid)
            self.texts.setdefault(testid, "")
        if tag == "form":
            self._open_form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._open_form)
        elif self._open_form is not None and tag == "input":
            name = a.get("name")
            if name:
                if a.get("type") == "hidden":
                    self._open_form.fields[name] = a.get("value", "")
                else:
                    self._open_form.inputs.append(name)
        elif self._open_form is not None and tag == "button":
            if a.get("name"):
                self._open_form.buttons.append((a["name"], a.get("value", "")))
            if testid:
                self._open_form.testids.append(testid)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open_form = None
        if self._depth and self._depth[-1][0] == tag:
            _, testid = self._depth.pop()
            if testid in self._capture:
                self._capture.remove(testid)

    def handle_data(self, data: str) -> None:
        for testid in self._capture:
            self.texts[testid] += data


@dataclass
class Page:
    url: str
    status: int
    html: str
    forms: list[Form]
    texts: dict[str, str]
    attrs: dict[str, dict[str, str]]

    @classmethod
    def read(cls, url: str, status: int, html: str) -> Page:
        reader = _Reader()
        reader.feed(html)
        return cls(url, status, html, reader.forms, reader.texts, reader.attrs)

    def form_to(self, action_part: str) -> Form | None:
        return next((f for f in self.forms if action_part in f.action), None)

    def text(self, testid: str) -> str:
        return " ".join(self.texts.get(testid, "").split())
