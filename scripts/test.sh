#!/usr/bin/env bash
# The test command: set up .venv if needed, lint, type-check, check the layers, then run the
# whole suite.
#
#   MELODICLENS_TEST_WORKERS=0 bash scripts/test.sh   # the suite in one process (default: 2
#                                                     # workers, each with its own server)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
# Two workers suit a 2-core CI machine: one runs the tests while the other's subprocesses and
# server work. Each worker starts its own embedded server, so a shared server
# (MELODICLENS_TEST_DATABASE_URL) runs in one process: its test databases have fixed names.
workers=${MELODICLENS_TEST_WORKERS:-2}
if [ -n "${MELODICLENS_TEST_DATABASE_URL:-}" ]; then workers=0; fi
.venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
