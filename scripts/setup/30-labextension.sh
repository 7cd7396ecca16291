#!/usr/bin/env bash
# The labextension's node_modules (`jlpm install` in labextension/), for its vitest unit tests,
# eslint and prettier (tests/browser/test_frontend_unit.py, scripts/test.sh). Nothing is built
# or registered here: the package build builds the extension (hatch-jupyter-builder,
# pyproject.toml), the live widget's built front end is committed (test_frontend_unit.py checks
# it matches its sources), and the browser tests run a JupyterLab whose dflow_nb comes from a
# wheel (tests/packaging/lab_venv.py).
# Idempotent and fast when nothing changed: the install is skipped on a matching stamp.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=$(cd "${VENV:-.venv}" && pwd)
export PATH="$VENV/bin:$PATH"   # jlpm comes with jupyter-builder (a JupyterLab dependency)

cd labextension
deps=$(cat package.json yarn.lock .yarnrc.yml | sha256sum | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat node_modules/.dflow-nb-deps 2>/dev/null)" != "$deps" ]; then
  start=$SECONDS
  log=$(mktemp)
  jlpm install --immutable >"$log" 2>&1 || { cat "$log" >&2; rm -f "$log"; exit 1; }
  rm -f "$log"
  echo "$deps" > node_modules/.dflow-nb-deps
  echo "labextension: jlpm install in $((SECONDS - start)) s"
fi
