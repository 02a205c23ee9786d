"""docs/personas.md and ``databrug-sandbox personas --json`` come from the catalogue and stay in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from databrug_sandbox.cli import main
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.docs import render_markdown
from databrug_sandbox.personas.generator import generate_household

DOCS = Path(__file__).resolve().parents[3] / "docs" / "personas.md"


def test_committed_personas_doc_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(CATALOGUE), (
        "docs/personas.md is stale: run `databrug-sandbox personas --markdown > docs/personas.md`"
    )


def test_doc_names_every_login() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for household in CATALOGUE.values():
        assert f"### `{household.key}`" in text
        for citizen in household.citizens():
            assert f"| {citizen.digid.username} | {citizen.digid.password} |" in text
            assert citizen.bsn in text


def test_personas_json_lists_names_bsns_logins_and_key_facts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["personas", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [entry["key"] for entry in listing] == list(CATALOGUE)
    for entry in listing:
        household = CATALOGUE[entry["key"]]
        people = entry["key_facts"]["people"]
        assert [p["bsn"] for p in people] == [c.bsn for c in household.citizens()]
        assert [p["username"] for p in people] == [c.digid.username for c in household.citizens()]
        assert [p["sms_enabled"] for p in people] == [c.digid.sms_enabled for c in household.citizens()]
        assert all(p["name"] for p in people)
        assert entry["key_facts"]["household_size"] >= len(people)


def test_personas_plain_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["personas"]) == 0
    out = capsys.readouterr().out
    assert "no-sms-check (no SMS)" in out
    assert "couple-partner-no-sms-partner (no SMS)" in out


def test_personas_seed_prints_that_generated_household(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["personas", "--seed", "42"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    household = generate_household(42)
    assert entry["key"] == "gen-42"
    assert [p["username"] for p in entry["key_facts"]["people"]] == [
        c.digid.username for c in household.citizens()
    ]
    assert main(["personas", "--seed", "42", "--markdown"]) == 2
    with pytest.raises(SystemExit):
        main(["personas", "--seed", "-1"])
