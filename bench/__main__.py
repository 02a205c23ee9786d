"""``python -m bench [--quick | --full] [--only NAME ...] [--json FILE]``: run benchmarks, print one table.

Exit status: 0 when every benchmark ran (missed targets are reported in the table, not failed on),
1 when a benchmark raised, 2 on a bad command line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from bench import Figure, Mode, discover

COLUMNS = ("figure", "value", "baseline", "ratio", "target", "result", "note")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def _row(figure: Figure) -> tuple[str, ...]:
    result = {None: "-", True: "pass", False: "MISS"}[figure.ok]
    ratio = f"{figure.ratio:.2f}x" if figure.ratio is not None else "-"
    return (
        figure.name,
        _number(figure.value, figure.unit),
        _number(figure.baseline, figure.unit),
        ratio,
        figure.target or "-",
        result,
        figure.note,
    )


def format_table(figures: list[Figure]) -> str:
    """A Markdown table, so a run can be pasted into docs/performance.md as it is."""
    rows = [COLUMNS, *(_row(f) for f in figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(rows[0]), separator, *(line(row) for row in rows[1:])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    speed = parser.add_mutually_exclusive_group()
    speed.add_argument("--quick", dest="mode", action="store_const", const="quick", help="few repetitions")
    speed.add_argument("--full", dest="mode", action="store_const", const="full", help="many repetitions")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmark modules")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.set_defaults(mode="quick")
    args = parser.parse_args(argv)
    mode: Mode = args.mode

    benchmarks = discover()
    if args.only:
        unknown = sorted(set(args.only) - set(benchmarks))
        if unknown:
            parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benchmarks)}")
        benchmarks = {name: run for name, run in benchmarks.items() if name in args.only}

    figures: list[Figure] = []
    failed: list[str] = []
    for name, run in benchmarks.items():
        started = time.perf_counter()
        print(f"running {name} ({mode}) ...", file=sys.stderr, flush=True)
        try:
            figures.extend(run(mode))
        except Exception:
            failed.append(name)
            traceback.print_exc()
        print(f"  {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    print(format_table(figures))
    missed = [f.name for f in figures if f.ok is False]
    print(f"\n{len(figures)} figures, {len(missed)} missed target(s), {len(failed)} benchmark error(s)")
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
