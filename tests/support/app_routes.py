"""Every route of the broker's ASGI app, with its path parameters filled in, for tests that walk them all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.routing import Mount


@dataclass(frozen=True)
class Endpoint:
    method: str
    template: str

    def path(self, values: Mapping[str, str]) -> str:
        filled = self.template
        for name, value in values.items():
            filled = filled.replace("{" + name + "}", value)
        if "{" in filled:
            raise KeyError(f"no value for a parameter of {self.template}")
        return filled


def _flatten(routes: Iterable[Any]) -> Iterable[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI's included router: its routes carry their full paths
            yield from _flatten(included.routes)
        else:
            yield route


def endpoints(app: Any, static_file: str) -> list[Endpoint]:
    """Each (method, path template); a static mount stands for one of its files."""
    found: set[Endpoint] = set()
    for route in _flatten(app.routes):
        if isinstance(route, Mount):
            found.add(Endpoint("GET", f"{route.path}/{static_file}"))
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add(Endpoint(method, route.path))
    return sorted(found, key=lambda e: (e.template, e.method))
