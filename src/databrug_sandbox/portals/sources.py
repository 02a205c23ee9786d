"""What the portals borrow from other parts of the sandbox, imported on first use.

The personas directory, the RvIG test persons and the document renderers are written alongside the portals;
importing them lazily lets a portal answer 501 (with the missing piece named) instead of failing at start.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

from databrug_sandbox.personas.model import Citizen
from databrug_sandbox.portals.problems import PortalProblem


def borrowed(module: str, name: str) -> Callable[..., Any]:
    try:
        function = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise PortalProblem(501, "Not implemented yet", f"{module}.{name} is not available") from exc
    if not callable(function):
        raise PortalProblem(501, "Not implemented yet", f"{module}.{name} is not callable")
    return function  # type: ignore[no-any-return]


def find_citizen(bsn: str) -> Citizen | None:
    """The persona with this BSN; None also when there is no personas directory (RvIG persons still work)."""
    try:
        lookup = borrowed("databrug_sandbox.personas.directory", "find_by_bsn")
    except PortalProblem:
        return None
    found = lookup(bsn)
    return found if isinstance(found, Citizen) else None


def is_rvig_person(bsn: str) -> bool:
    try:
        bsns = borrowed("databrug_sandbox.rvig", "rvig_bsns")()
    except PortalProblem:
        return False
    return bsn in set(bsns)


def rvig_bsns() -> list[str]:
    try:
        return sorted(str(b) for b in borrowed("databrug_sandbox.rvig", "rvig_bsns")())
    except PortalProblem:
        return []


def as_bytes(value: object) -> bytes:
    """Renderers return bytes; the RvIG helpers may return text or parsed JSON, which is serialised here."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def no_data(source: str) -> PortalProblem:
    return PortalProblem(404, "No data", f"{source} has no data for this person")
