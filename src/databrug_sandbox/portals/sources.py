"""What the portals borrow from other parts of the sandbox, imported on first use.

The personas directory, the RvIG test persons and the document renderers are written alongside the portals;
importing them lazily lets a portal answer 501 (with the missing piece named) instead of failing at start.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections import OrderedDict
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


_RENDERED_LIMIT = 512
_rendered: OrderedDict[tuple[str, str, str, tuple[str, ...]], bytes] = OrderedDict()
_rendered_lock = threading.Lock()


def render(module: str, name: str, citizen: Citizen, *args: str) -> bytes:
    """A renderer's document for this citizen, remembered: renderers are deterministic (same citizen, same
    bytes) and some are slow (a PDF takes a few hundred ms), which would otherwise dominate load tests."""
    key = (module, name, citizen.bsn, args)
    with _rendered_lock:
        cached = _rendered.get(key)
        if cached is not None:
            _rendered.move_to_end(key)
            return cached
    body = as_bytes(borrowed(module, name)(citizen, *args))
    with _rendered_lock:
        _rendered[key] = body
        while len(_rendered) > _RENDERED_LIMIT:
            _rendered.popitem(last=False)
    return body


def find_citizen(bsn: str) -> Citizen | None:
    """The persona with this BSN; None also when there is no personas directory (RvIG persons still work)."""
    try:
        lookup = borrowed("databrug_sandbox.personas.directory", "find_by_bsn")
    except PortalProblem:
        return None
    found = lookup(bsn)
    # The directory answers (household, citizen); a bare citizen is accepted too.
    if isinstance(found, tuple):
        found = next((item for item in found if isinstance(item, Citizen)), None)
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
