#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser, Playwright drives it; never run
# `playwright install`). Idempotent: nothing to do when chromium is already installed.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "31-browser.sh: chromium is missing and this is not root; the browser tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
# Package lists are refreshed once, and only when the install cannot proceed without it.
if ! install 2>/dev/null; then
  apt-get update -qq
  install
fi
chromium --version
