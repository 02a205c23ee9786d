"""Benchmarks with their baselines (docs/design.md §8): each figure is measured beside a bare baseline
in one run.

A benchmark is a module ``bench/<name>.py`` with ``run(mode) -> list[Figure]``; ``python -m bench`` finds
every such module (see ``discover``), runs them in name order and prints one table. Modules that are
commands of their own (``fuzz_parsers``) or helpers (``personas``) have no ``run`` and are skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Mode = Literal["quick", "full"]
Benchmark = Callable[[Mode], "list[Figure]"]

__all__ = ["Benchmark", "Figure", "Mode", "discover", "median", "percentile"]


@dataclass(frozen=True)
class Figure:
    """One measured figure: ``ratio`` is value / baseline when both exist; ``ok`` is None without a target."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""

    @classmethod
    def against(
        cls,
        name: str,
        value: float,
        unit: str,
        *,
        baseline: float | None = None,
        target: str = "",
        ok: bool | None = None,
        note: str = "",
    ) -> Figure:
        """A figure whose ratio is computed from value and baseline."""
        ratio = value / baseline if baseline else None
        return cls(name, value, unit, baseline, ratio, target, ok, note)


def discover() -> dict[str, Benchmark]:
    """Every module in this package that exposes ``run(mode)``, by module name."""
    found: dict[str, Benchmark] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.ispkg:
            continue
        try:
            module = importlib.import_module(f"{__name__}.{info.name}")
        except Exception as exc:  # a broken module is that benchmark's error, not the whole run's
            found[info.name] = _raising(exc)
            continue
        run = getattr(module, "run", None)
        if callable(run):
            found[info.name] = run
    return found


def _raising(error: Exception) -> Benchmark:
    def run(mode: Mode) -> list[Figure]:
        raise error

    return run


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1), so p95 of 20 samples is the 19th smallest."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]
