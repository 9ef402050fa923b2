#!/usr/bin/env bash
# Creates the Python virtualenv for the end-to-end tests (default .venv) and installs
# tests/e2e/requirements.txt into it. Skips everything when the venv exists and the
# requirements are unchanged since the last successful install (a stamp file inside the
# venv holds a copy of the requirements it was built from).
#
#   scripts/ensure-venv.sh [VENV_DIR] [REQUIREMENTS]
# PYTHON selects the interpreter that creates the venv (default: python3).
set -euo pipefail

venv=${1:-.venv}
requirements=${2:-tests/e2e/requirements.txt}
python=${PYTHON:-python3}
stamp=$venv/.chatkey-requirements

if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys' 2>/dev/null \
  && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  echo "venv: $venv is up to date"
  exit 0
fi

if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: no $python found; install Python 3.10+ (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
# Debian's system Python ships venv/ensurepip in a separate package.
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  here=$(cd "$(dirname "$0")" && pwd)
  "$here/ensure-apt.sh" python3-venv
fi

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  echo "venv: creating $venv with $("$python" --version 2>&1)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi

echo "venv: installing $requirements"
rm -f "$stamp"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$venv/bin/python" -m pip install -q --no-cache-dir -r "$requirements" </dev/null
cp "$requirements" "$stamp"
"$venv/bin/python" -c 'import mcp, pytest; print("venv: mcp and pytest", pytest.__version__, "ready")'
