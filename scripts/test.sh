#!/usr/bin/env bash
# Quick start, command 2: install if needed, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests drive Debian's Chromium (never a downloaded browser); wrk is for the
# web benchmark; the storage and server tests start a throwaway PostgreSQL cluster on
# loopback from Debian's server binaries (/usr/lib/postgresql/<major>/bin). Installed when we
# are root on a Debian-like system, else those tests skip with the reason.
have_postgresql() { command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=""
  command -v chromium >/dev/null || missing="chromium wrk"
  have_postgresql || missing="$missing postgresql"
  if [ -n "$missing" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
      || echo "note: could not install$missing; the tests that need them will skip" >&2
  fi
fi
exec .venv/bin/python -m pytest -n 2 -q "$@"
