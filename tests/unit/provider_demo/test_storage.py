"""Migrations, settings, the webhook replay cache and logins on both databases."""

from __future__ import annotations

import os
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from databrug.provider_demo.accounts import (
    add_caseworker,
    csrf_ok,
    current_login,
    hash_password,
    log_in,
    log_out,
    verify_password,
)
from databrug.provider_demo.intake import DatabaseReplayCache
from databrug.provider_demo.municipalities import (
    DEFAULT_CODE,
    save_settings,
    seed_settings,
    settings_for,
)
from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.storage.database import Database
from databrug.provider_demo.storage.tables import Caseworker, LoginSession


def test_migrations_create_every_table_and_run_twice(provider_database_url: str) -> None:
    db = Database(provider_database_url)
    db.migrate()
    db.migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert {"cases", "packages", "municipality_settings", "webhooks_received", "caseworkers"} <= tables
    assert "login_sessions" in tables
    db.dispose()


def test_settings_default_and_own(provider_database_url: str) -> None:
    db = Database(provider_database_url)
    db.migrate()
    with db.session() as session:
        seed_settings(session)
    with db.session() as session:
        rotterdam, own = settings_for(session, "GM0599")
        assert not own
        assert rotterdam == MunicipalitySettings()
        zutphen, own = settings_for(session, "GM0301")
        assert own
        assert zutphen.asset_test is False
        save_settings(session, "GM0599", MunicipalitySettings(percentage=130, asset_test=False), "tester")
    with db.session() as session:
        rotterdam, own = settings_for(session, "GM0599")
        assert own
        assert rotterdam.percentage == 130
        default, _ = settings_for(session, DEFAULT_CODE)
        assert default.percentage == 120
    db.dispose()


def test_replay_cache_is_shared_and_forgets(provider_database_url: str) -> None:
    db = Database(provider_database_url)
    db.migrate()
    first, second = DatabaseReplayCache(db), DatabaseReplayCache(db)  # two "processes"
    now = time.time()
    assert first.seen("msg_1", now, 600) is False
    assert second.seen("msg_1", now + 1, 600) is True
    first.forget("msg_1")
    assert second.seen("msg_1", now + 2, 600) is False
    # kept well past the signature tolerance: the broker retries for its whole pick-up window
    assert first.seen("msg_1", now + 24 * 3600, 600) is True
    assert first.seen("msg_1", now + 49 * 3600, 600) is False
    db.dispose()


def test_passwords_are_salted_scrypt() -> None:
    one, two = hash_password("geheim-wachtwoord"), hash_password("geheim-wachtwoord")
    assert one != two
    assert one.startswith("scrypt$")
    assert "geheim" not in one
    assert verify_password("geheim-wachtwoord", one)
    assert not verify_password("geheim-wachtwoorD", one)
    assert not verify_password("x", "not-a-hash")


def test_login_sessions_store_only_a_hash_and_expire(provider_database_url: str) -> None:
    db = Database(provider_database_url)
    db.migrate()
    with db.session() as session:
        add_caseworker(session, "anna", "Sterk-wachtwoord-1", "Anna")
    with db.session() as session:
        assert log_in(session, "anna", "fout", 8) is None
        assert log_in(session, "niemand", "Sterk-wachtwoord-1", 8) is None
        token = log_in(session, "anna", "Sterk-wachtwoord-1", 8)
    assert token is not None
    with db.session() as session:
        stored = session.query(LoginSession).one()
        assert stored.token_hash != token
        assert token not in stored.token_hash
        login = current_login(session, token)
        assert login is not None
        assert login.username == "anna"
        assert csrf_ok(login, login.csrf_token)
        assert not csrf_ok(login, "")
        assert not csrf_ok(login, login.csrf_token + "x")
        stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with db.session() as session:
        assert current_login(session, token) is None
        log_out(session, token)
        assert session.query(LoginSession).count() == 0
    db.dispose()


def test_admin_command_adds_a_caseworker(provider_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from databrug.provider_demo.admin import main

    monkeypatch.setenv("DATABRUG_PROVIDER_NEW_PASSWORD", "kort")
    assert main(["add-caseworker", "carla", "--database-url", provider_database_url]) == 2
    monkeypatch.setenv("DATABRUG_PROVIDER_NEW_PASSWORD", "Lang-genoeg-wachtwoord")
    assert main(["add-caseworker", "carla", "--admin", "--database-url", provider_database_url]) == 0
    db = Database(provider_database_url)
    with db.session() as session:
        assert log_in(session, "carla", "Lang-genoeg-wachtwoord", 1) is not None
        worker = session.get(Caseworker, "carla")
        assert worker is not None
        assert worker.is_admin
    db.dispose()


def test_the_sqlite_file_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "provider.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o700 == 0o700
    db.dispose()


def test_an_existing_world_readable_sqlite_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "provider.sqlite3"
    first = Database(f"sqlite:///{path}")
    first.migrate()
    first.dispose()
    os.chmod(path, 0o644)
    again = Database(f"sqlite:///{path}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with again.session() as session:  # still the same database, tables and all
        assert session.query(Caseworker).count() == 0
    again.dispose()


def test_an_in_memory_database_creates_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Database("sqlite:///:memory:").dispose()
    Database("sqlite://").dispose()
    assert list(tmp_path.iterdir()) == []
