#!/usr/bin/env bash
# Quick start, command 2: install if needed, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests drive Debian's Chromium (never a downloaded browser); wrk is for the
# web benchmark. Installed when we are root on a Debian-like system, else those tests skip.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq chromium wrk >/dev/null) || echo "note: could not install chromium; browser tests will skip" >&2
fi
exec .venv/bin/python -m pytest -n 2 -q "$@"
