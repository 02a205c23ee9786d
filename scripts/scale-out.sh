#!/usr/bin/env bash
# Scale-out on one machine: N broker processes behind nginx (round robin, no sticky sessions) on one Redis,
# the sandbox, and the demo provider on PostgreSQL. Waits until each broker and nginx answer /ready (serving and
# reaching Redis; /health is the liveness probe), prints the URLs; Ctrl-C stops everything.
#   scripts/scale-out.sh [--brokers N] [--no-provider] [--dir DIR] [--once] [--redis-fsync always|everysec]
# The brokers trust nginx (DATABRUG_TRUSTED_PROXIES=127.0.0.1) for the client's address in X-Forwarded-For;
# nginx logs paths without query strings (tests/support/scale_out.py). See docs/deployment.md for what maps
# to which host. Redis keeps an append-only file, fsynced per write (--redis-fsync everysec: per second).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
exec .venv/bin/python -m tests.support.scale_out "$@"
