#!/usr/bin/env bash
# Install everything the test suite needs into .venv-test, then run the whole suite.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${DFLOW_NB_TEST_VENV:-.venv-test}
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]"
# System packages and builds each part of the suite needs: one idempotent script per part.
for setup in scripts/setup/*.sh; do
  [ -e "$setup" ] || continue
  VENV="$VENV" bash "$setup"
done
export DFLOW_NB_SHARED=${DFLOW_NB_SHARED:-$(cd .. && pwd)/shared}
"$VENV/bin/python" -m ruff check .
# The architecture: layers (import-linter), no import cycles or oversized modules, types.
"$VENV/bin/lint-imports" --no-cache
"$VENV/bin/python" scripts/check_architecture.py
"$VENV/bin/python" -m mypy
# The labextension's TypeScript: prettier and eslint (the extension template's set-up).
VENV_BIN=$(cd "$VENV" && pwd)/bin
(cd labextension && PATH="$VENV_BIN:$PATH" jlpm lint:check)
status=0
"$VENV/bin/python" -m pytest -n "${PYTEST_WORKERS:-2}" -q "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "no tests were collected" >&2
fi
exit "$status"
