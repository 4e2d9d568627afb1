#!/usr/bin/env bash
# Rewrites constraints.txt: the exact version of every Python package eventkit installs, taken from
# a clean virtualenv with the newest versions pyproject.toml allows. bootstrap.sh (and so CI)
# installs with `-c constraints.txt`. Run it to take up new releases (security fixes), then run
# the test suite and commit both files:   scripts/update-constraints.sh && scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q ".[test]"
{
  echo "# Exact versions of eventkit's Python dependencies; made by scripts/update-constraints.sh"
  "$venv/bin/python" -m pip freeze --exclude eventkit
} > constraints.txt
echo "==> constraints.txt: $(grep -vc '^#' constraints.txt) packages"
