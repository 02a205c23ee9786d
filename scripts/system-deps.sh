#!/usr/bin/env bash
# Installs the system packages the test tiers need (chromium, redis-server, postgresql, nginx) and the
# benchmarks' load generator (wrk; `make bench` falls back to a slower Python client without it).
# As root with apt it installs what is missing; otherwise it stops and names what is missing.
# It never lets a tier skip silently.
set -euo pipefail

declare -A need=(
  [chromium]=/usr/bin/chromium
  [redis-server]=/usr/bin/redis-server
  [postgresql]=/usr/lib/postgresql
  [nginx]=/usr/sbin/nginx
  [wrk]=/usr/bin/wrk
)
missing=()
for pkg in "${!need[@]}"; do
  [ -e "${need[$pkg]}" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "system-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packaged services must not keep running: tests start their own on free ports.
  for svc in redis-server postgresql nginx; do
    service "$svc" stop >/dev/null 2>&1 || true
  done
  exit 0
fi

echo "system-deps: missing system packages: ${missing[*]}" >&2
echo "Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}) and run 'make test' again." >&2
exit 1
