"""The import rules of docs/design.md §7 are enforced by import-linter, and a violation really fails it."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def run_lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "COLUMNS": "500"}  # contract names on one line
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_real_tree_keeps_every_contract(tree: Path) -> None:
    result = run_lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def broken_contracts(stdout: str) -> dict[str, str]:
    """Each broken contract's name with its part of the report (the lines naming the offending imports)."""
    _, _, report = stdout.partition("Broken contracts")
    lines = report.splitlines()
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for number, line in enumerate(lines):
        if set(line.strip()) == {"-"}:
            continue
        if number + 1 < len(lines) and line.strip() and set(lines[number + 1].strip()) == {"-"}:
            current = sections.setdefault(line.strip(), [])
        else:
            current.append(line)
    return {name: "\n".join(text) for name, text in sections.items()}


# One planted import per contract (a contract may be named by the start of its name), each in its own module
# so the report can be read for it: all planted in one copy of the tree and checked in one run.
PLANTED = [
    ("databrug/records/leak.py", "import databrug_sandbox\n", "databrug never imports the sandbox"),
    ("databrug/records/leak_ours.py", "import databrug.sessions\n", "records imports nothing of ours"),
    ("databrug/sources/leak.py", "import fastapi\n", "web frameworks only in web/"),
    ("databrug/sdk/leak.py", "import databrug.errors\n", "the SDK stands alone"),
    (
        "databrug/provider_demo/leak.py",
        "import databrug.sessions\n",
        "the demo provider integrates like an outsider",
    ),
    (
        "databrug/sources/uwv/leak.py",
        "import databrug.sources.mijnoverheid\n",
        "the four sources are independent",
    ),
    ("databrug/sessions/leak_floor.py", "import databrug.broker\n", "floors:"),
    ("databrug/records/leak_error_root.py", "import databrug.errors\n", "floors:"),
    ("databrug/identity/leak.py", "import databrug.registrations\n", "features stay independent"),
    ("databrug/web/leak.py", "import databrug.sessions.store\n", "web speaks to the broker"),
    (
        "databrug/sessions/leak_settings.py",
        "import databrug.config\n",
        "settings are read at the composition root",
    ),
]


@pytest.fixture(scope="module")
def planted_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, str]]:
    root = tmp_path_factory.mktemp("planted")
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", root / "src", ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for module, line, _ in PLANTED:
        (root / "src" / module).write_text(line, encoding="utf-8")
    result = run_lint(root)
    return result.returncode, broken_contracts(result.stdout)


def test_every_contract_has_a_planted_violation() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [contract["name"] for contract in config["tool"]["importlinter"]["contracts"]]
    assert len(names) >= 10
    assert [n for n in names if not any(n.startswith(contract) for _, _, contract in PLANTED)] == []


@pytest.mark.parametrize(("module", "line", "contract"), PLANTED)
def test_a_violation_breaks_the_check(
    planted_report: tuple[int, dict[str, str]], module: str, line: str, contract: str
) -> None:
    returncode, broken = planted_report
    assert returncode != 0
    reports = [text for name, text in broken.items() if name.startswith(contract)]
    assert len(reports) == 1, f"{contract} is not reported broken"
    assert module.removesuffix(".py").replace("/", ".") in reports[0]


# -- reach-throughs import-linter cannot see: web/ using the broker's parts instead of asking the broker

REACH_THROUGHS = [("broker", "sessions", "store"), ("broker", "sessions", "clock"), ("broker", "secret")]


def reach_throughs(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            chain: list[str] = []
            part: ast.expr = node
            while isinstance(part, ast.Attribute):
                chain.insert(0, part.attr)
                part = part.value
            chain.insert(0, part.id if isinstance(part, ast.Name) else "?")
            if any(tuple(chain[-len(pattern) :]) == pattern for pattern in REACH_THROUGHS):
                found.append(f"{path.relative_to(folder)}:{node.lineno} {'.'.join(chain)}")
    return sorted(found)


def test_web_does_not_reach_through_the_broker() -> None:
    assert reach_throughs(ROOT / "src" / "databrug" / "web") == []


def test_a_reach_through_is_found(tmp_path: Path) -> None:
    (tmp_path / "route.py").write_text(
        "async def f(broker, request):\n"
        "    await broker.sessions.store.get('x')\n"
        "    now = request.app.state.broker.sessions.clock()\n"
        "    return broker.secret, broker.sessions.get('x')\n",
        encoding="utf-8",
    )
    assert reach_throughs(tmp_path) == [
        "route.py:2 broker.sessions.store",
        "route.py:3 request.app.state.broker.sessions.clock",
        "route.py:4 broker.secret",
    ]
