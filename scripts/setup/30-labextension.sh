#!/usr/bin/env bash
# The labextension's node_modules (`jlpm install` in labextension/), for its vitest unit tests,
# eslint and prettier (tests/browser/test_frontend_unit.py, scripts/test.sh), and the live
# widget's front end (`jlpm build:widget` -> dflow_nb/notebook/static/dag.js), which the
# editable install reads. The extension itself is not built or registered here: the package
# build builds it (hatch-jupyter-builder, pyproject.toml), and the browser tests run a
# JupyterLab whose dflow_nb comes from a wheel (tests/packaging/lab_venv.py).
# Idempotent and fast when nothing changed: install and build are skipped on matching stamps.
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

widget=$(cat src/*.ts style/*.css vite.widget.config.mts node_modules/.dflow-nb-deps | sha256sum | cut -d' ' -f1)
out=../dflow_nb/notebook/static
if [ ! -f "$out/dag.js" ] || [ "$(cat "$out/.dflow-nb-widget" 2>/dev/null)" != "$widget" ]; then
  jlpm build:widget >/dev/null
  echo "$widget" > "$out/.dflow-nb-widget"
  echo "labextension: live widget built into dflow_nb/notebook/static/"
fi
