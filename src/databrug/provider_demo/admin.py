"""Caseworker accounts from the command line: ``python -m databrug.provider_demo.admin add-caseworker NAME``.

The password is read without echo (or from ``DATABRUG_PROVIDER_NEW_PASSWORD`` for scripts); only its scrypt
hash is stored. Uses the same database settings as the provider (``DATABRUG_PROVIDER_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from databrug.provider_demo.accounts import add_caseworker
from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.storage.database import Database

MIN_PASSWORD = 12


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m databrug.provider_demo.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add-caseworker", help="add a caseworker or set a new password")
    add.add_argument("username")
    add.add_argument("--name", default=None, help="display name (default: the username)")
    add.add_argument("--admin", action="store_true", help="may change municipality settings")
    add.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)

    password = os.environ.get("DATABRUG_PROVIDER_NEW_PASSWORD") or getpass.getpass("Password: ")
    if len(password) < MIN_PASSWORD:
        sys.stderr.write(f"the password needs at least {MIN_PASSWORD} characters\n")
        return 2
    settings = ProviderSettings()
    db = Database(args.database_url or settings.database_url)
    db.migrate()
    with db.session() as session:
        add_caseworker(session, args.username, password, args.name or args.username, is_admin=args.admin)
    db.dispose()
    print(f"caseworker '{args.username}' saved{' (administrator)' if args.admin else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
