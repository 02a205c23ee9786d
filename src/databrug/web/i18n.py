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


def translate(language: Language, key: str, **params: object) -> str:
    messages = catalogue(language)
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
