"""A real PostgreSQL server for tests: Debian's initdb/pg_ctl, a temp data dir, a free loopback port.

Never skips: a missing server fails the run with the package to install. As root, initdb refuses to run, so
the cluster is owned by the ``postgres`` system user (``runuser``). Every test gets a fresh database.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

PACKAGE_HINT = "install the Debian package 'postgresql' (apt-get install postgresql)"
_databases = itertools.count()


@dataclass(frozen=True)
class PostgresServer:
    port: int
    directory: Path

    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        name = f"t{os.getpid()}_{next(_databases)}"
        with psycopg.connect(self.admin_url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail(f"PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): {PACKAGE_HINT}")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.fail("running as root and 'runuser' is missing: cannot start PostgreSQL as 'postgres'")
    return [runuser, "-u", "postgres", "--", *command]


def _ready(port: int) -> bool:
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout=1):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = _binaries()
    directory = Path(tempfile.mkdtemp(prefix="databrug-pg-"))
    data = directory / "data"
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    result = subprocess.run(_as_owner(initdb), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"initdb failed: {result.stderr[-500:]}")
    port = _free_port()
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    pg_ctl = str(binaries / "pg_ctl")
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(directory / "log"), "-w", "start"]
    result = subprocess.run(_as_owner(start), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        log = (directory / "log").read_text(errors="replace")[-800:] if (directory / "log").exists() else ""
        pytest.fail(f"PostgreSQL did not start: {result.stderr[-300:]} {log}")
    deadline = time.monotonic() + 20
    while not _ready(port):
        if time.monotonic() > deadline:
            pytest.fail("PostgreSQL did not accept connections within 20 s")
        time.sleep(0.1)
    try:
        yield PostgresServer(port=port, directory=directory)
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_owner(stop), capture_output=True, check=False)
        shutil.rmtree(directory, ignore_errors=True)
