"""Message catalogues for the provider demo (Dutch first, English second)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Literal

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
DEFAULT: Language = "nl"


@cache
def catalogue(language: Language) -> Mapping[str, str]:
    messages = resources.files("databrug.provider_demo.web").joinpath(f"messages/{language}.json")
    text = messages.read_text("utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise TypeError("a message catalogue is a JSON object")
    return data


def translate(language: Language, key: str, **params: object) -> str:
    template = catalogue(language).get(key) or catalogue(DEFAULT).get(key)
    if template is None:
        return key
    return template.format(**params) if params else template


def pick_language(query: str | None, cookie: str | None, accept_language: str | None) -> Language:
    for candidate in (query, cookie):
        if candidate == "nl":
            return "nl"
        if candidate == "en":
            return "en"
    if accept_language and accept_language.split(",")[0].strip().lower().startswith("en"):
        return "en"
    return DEFAULT
