"""The published templates: packaged YAML files ``templates/<id>-<version>.yaml``, read and validated once.

Every version stays served (a session created under an older version is checked against it); a new session
takes a purpose's newest version."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from databrug.purposes.errors import PurposeUnknown
from databrug.purposes.model import PurposeTemplate

DOCUMENT_VERSION = "1"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@cache
def all_templates() -> tuple[PurposeTemplate, ...]:
    """Every published version of every template, ordered by id and then version."""
    folder = resources.files("databrug.purposes").joinpath("templates")
    found: list[PurposeTemplate] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".yaml"):
            continue
        loaded = PurposeTemplate.model_validate(yaml.safe_load(entry.read_text("utf-8")))
        if entry.name != f"{loaded.id}-{loaded.version}.yaml":
            raise ValueError(f"purpose template file {entry.name} holds {loaded.ref}")
        found.append(loaded)
    refs = [t.ref for t in found]
    if len(set(refs)) != len(refs):
        raise ValueError("a purpose template version is published twice")
    return tuple(sorted(found, key=lambda t: (t.id, _version_key(t.version))))


def purpose_templates() -> dict[str, PurposeTemplate]:
    """The newest version of each purpose, by id."""
    return {t.id: t for t in all_templates()}  # sorted by version: the last one per id stays


def template(purpose_id: str, version: str | None = None) -> PurposeTemplate:
    """A purpose's newest template, or the given version of it; ``PurposeUnknown`` if there is none."""
    for candidate in reversed(all_templates()):
        if candidate.id == purpose_id and (version is None or candidate.version == version):
            return candidate
    raise PurposeUnknown(purpose_id if version is None else f"{purpose_id} version {version}")


@cache
def purposes_document() -> dict[str, Any]:
    """What ``GET /.well-known/databrug-purposes.json`` serves: every template version, as published."""
    return {
        "document_version": DOCUMENT_VERSION,
        "documentation": "docs/purposes.md",
        "templates": [t.model_dump(mode="json") for t in all_templates()],
    }
