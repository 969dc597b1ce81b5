#!/usr/bin/env bash
# Quick start, command 1: install if needed, then show US import reliance from the embedded snapshot.
# Any arguments replace the default command, e.g. `bash scripts/run.sh production cobalt`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then set -- nir --list 2025; fi
exec .venv/bin/critmin "$@"
