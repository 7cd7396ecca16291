#!/usr/bin/env bash
# Debian Graphviz for the notebook tests' `dot` layout path (the pure-Python path is tested
# without it). Idempotent; skipped where apt-get is unavailable.
set -euo pipefail
if command -v dot >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  apt-get install -y --no-install-recommends graphviz >/dev/null 2>&1 || \
    { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends graphviz >/dev/null; }
else
  echo "20-graphviz: no apt-get/root; the dot layout test will skip" >&2
fi
