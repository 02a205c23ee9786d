"""Compare records regardless of provenance: a parsed document points at its own ``sources[]`` entry,
a persona's facts at ``SANDBOX_REF``; the facts themselves must be equal."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

NEUTRAL_REF = "src-any"


def _neutralise(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (NEUTRAL_REF if key == "source_ref" else _neutralise(item)) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_neutralise(item) for item in value]
    return value


def strip_refs(model: BaseModel) -> dict[str, Any]:
    """The model as a plain dict with every ``source_ref`` set to the same value."""
    dumped: dict[str, Any] = _neutralise(model.model_dump(mode="python"))
    return dumped
