"""``databrug providers add``: URLs checked, webhook secrets stored encrypted, the output's wording true."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from databrug.bootstrap import configured_broker_secret
from databrug.cli import main
from databrug.config import Settings
from databrug.provisioning import demo_broker_secret
from databrug.registrations.store import ProviderRegistry

PUBLIC_JWKS = {
    "keys": [{"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k1"}]
}


def add(tmp_path: Path, *extra: str) -> int:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(PUBLIC_JWKS), encoding="utf-8")
    return main(
        ["providers", "add", "--file", str(tmp_path / "providers.json"), "--id", "gemeente-test",
         "--name", "Gemeente Test", "--jwks", str(jwks), "--purpose", "gemeentepolis",
         "--retention-days", "365", "--privacy-url", "https://gemeente.example/privacy", *extra]
    )  # fmt: skip


@pytest.fixture(autouse=True)
def no_broker_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABRUG_BROKER_SECRET", raising=False)


def test_webhook_secret_is_stored_encrypted_and_the_output_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABRUG_BROKER_SECRET", "the-brokers-secret")
    code = add(
        tmp_path, "--return-url", "https://gemeente.example/", "--webhook-url", "https://gemeente.example/h"
    )
    out = capsys.readouterr().out
    assert code == 0
    webhook_secret = next(line.split()[-1] for line in out.splitlines() if line.startswith("webhook_secret"))
    assert "encrypted under the broker secret" in out
    assert "only as hashes" not in out
    path = tmp_path / "providers.json"
    assert webhook_secret not in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = ProviderRegistry.load(path, configured_broker_secret(Settings()))
    assert loaded.get("gemeente-test").webhook_secrets == [webhook_secret]


def test_a_webhook_without_a_broker_secret_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = add(
        tmp_path, "--return-url", "https://gemeente.example/", "--webhook-url", "https://gemeente.example/h"
    )
    assert code == 2
    assert "set DATABRUG_BROKER_SECRET" in capsys.readouterr().err
    assert not (tmp_path / "providers.json").exists()


def test_a_pull_only_provider_gets_no_webhook_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert add(tmp_path, "--return-url", "https://gemeente.example/") == 0
    assert "webhook_secret" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "url", "message"),
    [
        ("--return-url", "javascript:alert(1)", "refused: return_url must be an https URL"),
        ("--return-url", "data:text/html,x", "return_url must be an https URL"),
        ("--webhook-url", "http://intranet.example/hook", "webhook_url must use https"),
    ],
)
def test_an_unsafe_url_is_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, url: str, message: str
) -> None:
    urls = {"--return-url": "https://gemeente.example/", option: url}
    code = add(tmp_path, *[part for pair in urls.items() for part in pair])
    err = capsys.readouterr().err
    assert code == 2
    assert "the registration is refused" in err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "providers.json").exists()


def test_the_demo_keeps_one_broker_secret_across_starts(tmp_path: Path) -> None:
    secret_file = tmp_path / "demo" / "broker-secret"
    first = demo_broker_secret(Settings(), secret_file)
    again = demo_broker_secret(Settings(), secret_file)
    assert first.broker_secret
    assert first.broker_secret == again.broker_secret
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert demo_broker_secret(Settings(broker_secret="set"), secret_file).broker_secret == "set"
