#!/usr/bin/env bash
# Build the JupyterLab extension (labextension/ -> dflow_nb/labextension/, a prebuilt
# extension) and register it and the server extension in $VENV, as a wheel install would.
# Idempotent and fast when nothing changed: install and build are skipped on matching stamps.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
VENV=$(cd "${VENV:-.venv}" && pwd)
export PATH="$VENV/bin:$PATH"
OUT="$ROOT/dflow_nb/labextension"

stamp() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

cd "$ROOT/labextension"
deps=$(stamp package.json yarn.lock .yarnrc.yml)
if [ ! -d node_modules ] || [ "$(cat node_modules/.dflow-nb-deps 2>/dev/null)" != "$deps" ]; then
  start=$SECONDS
  jlpm install --immutable >/tmp/dflow-nb-jlpm-install.log 2>&1 \
    || { cat /tmp/dflow-nb-jlpm-install.log >&2; exit 1; }
  echo "$deps" > node_modules/.dflow-nb-deps
  echo "labextension: jlpm install in $((SECONDS - start)) s"
fi
sources=$(stamp package.json yarn.lock tsconfig.json $(find src style -type f | sort))
if [ ! -f "$OUT/package.json" ] || [ "$(cat node_modules/.dflow-nb-build 2>/dev/null)" != "$sources" ]; then
  start=$SECONDS
  rm -rf lib tsconfig.tsbuildinfo "$OUT"
  jlpm build >/tmp/dflow-nb-jlpm-build.log 2>&1 \
    || { cat /tmp/dflow-nb-jlpm-build.log >&2; exit 1; }
  echo "$sources" > node_modules/.dflow-nb-build
  echo "labextension: built in $((SECONDS - start)) s"
fi

# Register in the venv as a wheel install would: the prebuilt extension (copied, not linked,
# so that pip reinstalling the package's data files never writes into the source tree) and
# the server extension's enable file.
LABEXT="$VENV/share/jupyter/labextensions/dflow-nb"
if [ -L "$LABEXT" ] || ! diff -rq "$OUT" "$LABEXT" >/dev/null 2>&1; then
  rm -rf "$LABEXT"
  mkdir -p "$(dirname "$LABEXT")"
  cp -r "$OUT" "$LABEXT"
fi
CONF="$VENV/etc/jupyter/jupyter_server_config.d"
mkdir -p "$CONF"
cp "$ROOT/jupyter-config/server-config/dflow_nb.json" "$CONF/dflow_nb.json"
