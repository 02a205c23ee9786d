"""Message catalogues (Dutch first, then English): every text a page or API error shows is in messages/."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from string import Formatter
from typing import Literal

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
DEFAULT: Language = "nl"


@cache
def catalogue(language: Language) -> Mapping[str, str]:
    text = resources.files("databrug.web").joinpath(f"messages/{language}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError("a message catalogue is a JSON object")
    return data


def plural_key(messages: Mapping[str, str], key: str, count: object) -> str:
    """The plural form of ``key`` for ``count``: ``key.zero`` for 0 and ``key.one`` for 1 where the
    catalogue has them; otherwise ``key`` itself, which holds the general (plural) form."""
    if isinstance(count, int) and not isinstance(count, bool):
        form = {0: "zero", 1: "one"}.get(count)
        if form is not None and f"{key}.{form}" in messages:
            return f"{key}.{form}"
    return key


def translate(language: Language, key: str, **params: object) -> str:
    """A message with its placeholders filled; a ``count`` parameter picks the plural form."""
    messages = catalogue(language)
    if "count" in params:
        key = plural_key(messages, key, params["count"])
    template = messages.get(key) or catalogue(DEFAULT).get(key)
    if template is None:
        return key  # visible in tests: every key used must exist (checked by the catalogue test)
    return template.format(**params) if params else template


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def pick_language(query: str | None, cookie: str | None, accept_language: str | None) -> Language:
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    if accept_language:
        first = accept_language.split(",")[0].strip().lower()
        if first.startswith("en"):
            return "en"
    return DEFAULT
