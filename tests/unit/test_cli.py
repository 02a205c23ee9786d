"""The `databrug` command line: parse (the upload path), providers, schema — run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
DATABRUG = str(Path(sys.executable).with_name("databrug"))


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DATABRUG, *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd, env=env
    )


@pytest.mark.parametrize(
    ("document", "document_type"),
    [
        ("mpo/handwritten-namespaced.xml", "pensioenoverzicht"),
        ("mpo/handwritten-minimal.json", "pensioenoverzicht"),
        ("belastingdienst/prefixed-several-years.via.xml", "belastinggegevens"),
        ("belastingdienst/all-kinds.toeslagen.json", "toeslagen"),
        ("mijnoverheid/brp-partial-dates-abroad.json", "brp-persoon"),
        ("mijnoverheid/vehicles-sandbox.json", "voertuigen"),
    ],
)
def test_parse_detects_the_document_and_prints_records(document: str, document_type: str) -> None:
    result = run("parse", str(GOLDEN / document))
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["source"]["document_type"] == document_type
    assert printed["source"]["origin"] == "uploaded"
    assert printed["records"]["role"] == "applicant"


def test_parse_pretty_shows_the_groups() -> None:
    result = run("parse", "--pretty", str(GOLDEN / "mpo" / "handwritten-namespaced.xml"))
    assert result.returncode == 0, result.stderr
    assert "== Pensioenen" in result.stdout
    assert "SHA-256:" in result.stdout


def test_parse_names_the_place_of_a_bad_document(tmp_path: Path) -> None:
    broken = tmp_path / "pensioenaanspraken.xml"
    broken.write_text(
        "<Pensioenaanspraken><StatusCode>000</StatusCode><Details><OuderdomsPensioenDetails>"
        "<OuderdomsPensioen><Van><Leeftijd><Jaren>zestig</Jaren></Leeftijd></Van>"
        "</OuderdomsPensioen></OuderdomsPensioenDetails></Details></Pensioenaanspraken>",
        encoding="utf-8",
    )
    result = run("parse", str(broken))
    assert result.returncode == 1
    assert "document_invalid" in result.stderr
    assert "pensioenaanspraken.xml" in result.stderr
    assert "Jaren" in result.stderr  # the element path
    assert "zestig" not in result.stderr  # never the value


def test_parse_refuses_an_unknown_document(tmp_path: Path) -> None:
    unknown = tmp_path / "recipe.txt"
    unknown.write_text("two eggs, flour, milk", encoding="utf-8")
    result = run("parse", str(unknown))
    assert result.returncode == 1
    assert "document_unknown" in result.stderr


def test_parse_restricted_to_another_source_does_not_match() -> None:
    result = run("parse", "--source", "uwv", str(GOLDEN / "mpo" / "handwritten-minimal.json"))
    assert result.returncode == 1
    assert "document_unknown" in result.stderr


def test_providers_add_shows_the_secret_once_and_stores_a_hash(tmp_path: Path) -> None:
    jwks = tmp_path / "public.json"
    jwks.write_text(
        json.dumps(
            {
                "keys": [
                    {
                        "kty": "OKP",
                        "crv": "X25519",
                        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                        "kid": "k1",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    registry = tmp_path / "providers.json"
    added = run(
        "providers", "add", "--file", str(registry), "--id", "gemeente-test", "--name", "Gemeente Test",
        "--return-url", "https://example.invalid/", "--jwks", str(jwks), "--purpose", "gemeentepolis",
        "--retention-days", "365", "--privacy-url", "https://example.invalid/privacy",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    secret = next(line.split()[-1] for line in added.stdout.splitlines() if line.startswith("client_secret"))
    assert secret not in registry.read_text(encoding="utf-8")
    rotated = run("providers", "rotate-secret", "--file", str(registry), "--id", "gemeente-test")
    assert rotated.returncode == 0
    listed = run("providers", "list", "--file", str(registry))
    assert "gemeente-test" in listed.stdout
    assert "k1" in listed.stdout
    stored = json.loads(registry.read_text(encoding="utf-8"))["providers"][0]
    assert len(stored["credentials"]) == 2  # old and new secret live during rotation


def test_help_lists_the_commands() -> None:
    result = run("--help")
    for command in ("parse", "journey", "demo", "serve", "providers", "schema", "openapi"):
        assert command in result.stdout
