"""A registration names its purposes, retention and privacy statement, and must fit each purpose's template:
refused at construction, when the providers file loads, and by ``databrug providers add``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from databrug.cli import main
from databrug.registrations.model import ProviderRegistration
from databrug.registrations.store import ProviderRegistry, ProvidersFileError

PUBLIC_JWKS = {
    "keys": [{"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k1"}]
}


def fields(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "gemeente-test",
        "display_name": "Gemeente Test",
        "return_url": "https://gemeente.example/terug",
        "encryption_jwks": PUBLIC_JWKS,
        "purposes": ["gemeentepolis"],
        "retention_days": 365,
        "privacy_statement_url": "https://gemeente.example/privacy",
    }
    return {**base, **overrides}


def test_a_registration_within_its_purpose_is_accepted() -> None:
    provider = ProviderRegistration.model_validate(fields(erasure_url="https://gemeente.example/wissen"))
    assert provider.purposes == ["gemeentepolis"]
    debt = ProviderRegistration.model_validate(
        fields(purposes=["schuldhulpverlening"], want_documents=True, third_parties=["Bewindvoerder"])
    )
    assert debt.want_documents


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"want_documents": True}, "want_documents"),
        ({"retention_days": 3650}, "retention_days"),
        ({"third_parties": ["Incassobureau"]}, "third_parties"),
        ({"purposes": ["schuldhulpverlening", "gemeentepolis"], "want_documents": True}, "gemeentepolis@1"),
        ({"purposes": ["alles-mag"]}, "no published purpose template"),
        ({"purposes": []}, "at least 1"),
        ({"purposes": ["Gemeentepolis; DROP"]}, "pattern"),
        ({"purposes": ["gemeentepolis"] * 9}, "at most 8"),
        ({"third_parties": ["x" * 201]}, "at most 200"),
        ({"privacy_statement_url": "javascript:alert(1)"}, "privacy_statement_url"),
        ({"erasure_url": "http://gemeente.example/wissen"}, "erasure_url"),
        ({"retention_days": 0}, "greater than or equal to 1"),
    ],
)
def test_a_registration_beyond_its_purpose_or_malformed_is_refused(
    overrides: dict[str, object], words: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        ProviderRegistration.model_validate(fields(**overrides))
    assert words in str(refused.value)


@pytest.mark.parametrize("missing", ["purposes", "retention_days", "privacy_statement_url"])
def test_the_purpose_fields_are_required(missing: str) -> None:
    incomplete = fields()
    del incomplete[missing]
    with pytest.raises(ValidationError):
        ProviderRegistration.model_validate(incomplete)


def test_a_providers_file_over_its_purpose_fails_to_load_naming_provider_and_field(tmp_path: Path) -> None:
    path = tmp_path / "providers.json"
    ProviderRegistry([ProviderRegistration.model_validate(fields())]).save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["providers"][0]["want_documents"] = True
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ProvidersFileError, match=r"'gemeente-test'.*want_documents"):
        ProviderRegistry.load(path)


def test_a_providers_file_from_before_purposes_says_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "providers.json"
    old = {
        k: v for k, v in fields().items() if k not in ("purposes", "retention_days", "privacy_statement_url")
    }
    path.write_text(json.dumps({"providers": [old]}), encoding="utf-8")
    with pytest.raises(ProvidersFileError) as refused:
        ProviderRegistry.load(path)
    for name in ("purposes", "retention_days", "privacy_statement_url"):
        assert name in str(refused.value)


def test_the_demo_replaces_its_own_registration_from_before_purposes_unread(tmp_path: Path) -> None:
    """``databrug demo`` registers its providers anew at every start: an old one of its own must not stop it,
    while another provider's old registration is still refused."""
    path = tmp_path / "providers.json"
    old = {
        k: v for k, v in fields().items() if k not in ("purposes", "retention_days", "privacy_statement_url")
    }
    current = {**fields(), "id": "gemeente-andere"}
    path.write_text(json.dumps({"providers": [old, current]}), encoding="utf-8")
    registry = ProviderRegistry.load(path, replacing=[str(old["id"])])
    assert [p.id for p in registry.all()] == ["gemeente-andere"]
    with pytest.raises(ProvidersFileError):
        ProviderRegistry.load(path, replacing=["gemeente-andere"])


def _add(tmp_path: Path, *extra: str) -> int:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(PUBLIC_JWKS), encoding="utf-8")
    return main(
        ["providers", "add", "--file", str(tmp_path / "providers.json"), "--id", "gemeente-test",
         "--name", "Gemeente Test", "--return-url", "https://gemeente.example/", "--jwks", str(jwks), *extra]
    )  # fmt: skip


def test_providers_add_requires_purpose_retention_and_privacy_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(tmp_path, "--purpose", "gemeentepolis") == 2
    assert "--retention-days, --privacy-url" in capsys.readouterr().err
    assert not (tmp_path / "providers.json").exists()


def test_providers_add_prints_why_a_registration_over_its_purpose_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = ("--purpose", "gemeentepolis", "--retention-days", "365", "--privacy-url", "https://g.example/p")
    assert _add(tmp_path, *asked, "--documents") == 2
    error = capsys.readouterr().err
    assert "refused" in error
    assert "want_documents" in error
    assert _add(tmp_path, *asked, "--erasure-url", "https://g.example/wissen") == 0
    stored = json.loads((tmp_path / "providers.json").read_text(encoding="utf-8"))["providers"][0]
    assert stored["purposes"] == ["gemeentepolis"]
    assert stored["erasure_url"] == "https://g.example/wissen"
