"""A readable, plain-text table of one document's records (``databrug parse --pretty``)."""

from __future__ import annotations

from typing import Any

from databrug.records.package import Subject
from databrug.records.provenance import SourceEntry

GROUPS: tuple[tuple[str, str], ...] = (
    ("Personen", "person"),
    ("Inkomens", "incomes"),
    ("Pensioenen", "pensions"),
    ("Bezittingen / Huidige (huur)woningen", "assets"),
)


def _flatten(value: Any, path: str, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key != "source_ref":
                _flatten(inner, f"{path}.{key}" if path else key, rows)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _flatten(inner, f"{path}[{index}]", rows)
    elif value not in (None, "", [], {}):
        rows.append((path, str(value)))


def render_table(entry: SourceEntry, subject: Subject) -> str:
    lines = [
        f"Bron / source: {entry.source} — {entry.document_type} ({entry.media_type})",
        f"SHA-256: {entry.sha256}   parser {entry.parser_version}   {entry.origin}",
        "",
    ]
    dumped = subject.model_dump(mode="json", exclude_defaults=True)
    for title, key in GROUPS:
        rows: list[tuple[str, str]] = []
        _flatten(dumped.get(key), "", rows)
        if not rows:
            continue
        lines.append(f"== {title} ({len(rows)})")
        width = min(60, max(len(path) for path, _ in rows))
        lines.extend(f"  {path:<{width}}  {value}" for path, value in rows)
        lines.append("")
    return "\n".join(lines) + "\n"
