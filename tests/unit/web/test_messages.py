"""The message catalogues: Dutch and English say the same things, and every text a page asks for exists."""

from __future__ import annotations

import re
from importlib import resources
from typing import Literal, get_args, get_origin

import pytest

from databrug.records import SourceName
from databrug.sessions.model import SourceStatus
from databrug.sessions.state import SessionState
from databrug.web.errors import CATALOGUE
from databrug.web.i18n import LANGUAGES, Language, catalogue, placeholders, translate

TEMPLATES = resources.files("databrug.web").joinpath("templates")
# t("some.key", ...) with a literal key, and "action.*" keys named in the error page's table
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']\s*[,)]""")
ACTION_KEY = re.compile(r"""["'](action\.[a-z_]+)["']""")


def _templates() -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(folder: object, prefix: str) -> None:
        for entry in folder.iterdir():  # type: ignore[attr-defined]
            name = f"{prefix}{entry.name}"
            if entry.is_dir():
                walk(entry, name + "/")
            elif entry.name.endswith(".html"):
                found[name] = entry.read_text(encoding="utf-8")

    walk(TEMPLATES, "")
    return found


def test_both_catalogues_have_the_same_keys() -> None:
    nl, en = set(catalogue("nl")), set(catalogue("en"))
    assert nl - en == set(), "keys only in Dutch"
    assert en - nl == set(), "keys only in English"


def test_no_empty_texts() -> None:
    for lang in LANGUAGES:
        empty = [key for key, text in catalogue(lang).items() if not text.strip()]
        assert empty == [], f"empty texts in {lang}"


def test_placeholders_match_between_languages() -> None:
    nl, en = catalogue("nl"), catalogue("en")
    different = {key for key in nl if placeholders(nl[key]) != placeholders(en.get(key, ""))}
    assert different == set()


def test_templates_were_found() -> None:
    names = _templates()
    assert {"base.html", "error.html", "computer/qr.html", "phone/scan.html", "phone/review.html"} <= set(
        names
    )


def test_every_literal_key_in_templates_exists() -> None:
    known = set(catalogue("nl"))
    missing = {
        (name, key)
        for name, text in _templates().items()
        for key in LITERAL_KEY.findall(text) + ACTION_KEY.findall(text)
        if key not in known
    }
    assert missing == set()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_error_code_has_title_body_and_next_step(lang: Language) -> None:
    texts = catalogue(lang)
    missing = [
        f"error.{code}.{part}"
        for code in CATALOGUE
        for part in ("title", "body", "next")
        if f"error.{code}.{part}" not in texts
    ]
    assert missing == []


def test_dynamic_keys_the_templates_build_exist() -> None:
    """Keys put together in templates: source names, states, source statuses, roles, steps, review groups."""
    known = set(catalogue("nl"))
    sources = get_args(SourceName)
    wanted = (
        [f"source.{s}" for s in sources]
        + [f"sources.upload_help_{s}" for s in sources]
        + [f"state.{s.value}" for s in SessionState]
        + [f"state.{s}.explain" for s in ("cancelled", "expired", "failed")]
        + [f"status.{s.value}" for s in SourceStatus]
        + [
            f"{prefix}_{role}"
            for role in ("applicant", "partner")
            for prefix in (
                "sources.heading",
                "sources.login",
                "review.consent_label",
                "review.consent_label_outcome",
            )
        ]
        + [f"role.{role}" for role in ("applicant", "partner")]
        + [f"steps.{step}" for step in ("info", "checklist", "install", "qr")]
        + [f"group.{g}" for g in ("personen", "inkomens", "pensioenen", "bezittingen")]
    )
    assert [key for key in wanted if key not in known] == []


def test_review_field_labels_cover_the_data_model() -> None:
    """Every field name the review screen can show has a label in both languages (no raw field names)."""
    import pydantic

    from databrug.records import Subject

    names: set[str] = set()

    def walk(model: type[pydantic.BaseModel], depth: int) -> None:
        for name, field in model.model_fields.items():
            names.add(name)
            for inner in _types(field.annotation):
                if isinstance(inner, type) and issubclass(inner, pydantic.BaseModel) and depth < 6:
                    walk(inner, depth + 1)

    walk(Subject, 0)
    known = set(catalogue("nl"))
    assert sorted(n for n in names if f"field.{n}" not in known) == []


def test_every_coded_value_the_review_can_show_has_words() -> None:
    """Coded values (Literal types in the data model, e.g. marital status) are shown in words, not codes."""
    import pydantic

    from databrug.records import Subject

    values: set[str] = set()

    def walk(model: type[pydantic.BaseModel], depth: int) -> None:
        for field in model.model_fields.values():
            for inner in _types(field.annotation, keep_literals=True):
                if isinstance(inner, str):
                    values.add(inner)
                elif isinstance(inner, type) and issubclass(inner, pydantic.BaseModel) and depth < 6:
                    walk(inner, depth + 1)

    walk(Subject, 0)
    assert values, "the data model has coded values"
    for lang in LANGUAGES:
        assert sorted(v for v in values if f"value.{v}" not in catalogue(lang)) == []


def _types(annotation: object, keep_literals: bool = False) -> list[object]:
    if keep_literals and get_origin(annotation) is Literal:
        return list(get_args(annotation))
    args = get_args(annotation)
    if not args:
        return [annotation]
    return [t for arg in args for t in _types(arg, keep_literals)]


def test_translate_fills_placeholders_and_falls_back_to_the_key() -> None:
    assert "Voorbeeld" in translate("nl", "info.heading", provider="Voorbeeld")
    assert translate("en", "no.such.key") == "no.such.key"
