#!/usr/bin/env bash
# Makes sure a Chromium (or Chrome) is on PATH for the browser tests
# (e2e/browser_test.go drives it with chromedp): installs Debian's chromium
# package when none is found. The tests look for the same names in the same
# order (E2E_BROWSER names another binary). Prints the one they will use.
set -euo pipefail

names=(chromium chromium-browser google-chrome google-chrome-stable)
find_browser() {
  local n
  for n in "${names[@]}"; do
    if command -v "$n" >/dev/null 2>&1; then
      command -v "$n"
      return 0
    fi
  done
  return 1
}

if [ -n "${E2E_BROWSER:-}" ]; then
  browser=$E2E_BROWSER
elif ! browser=$(find_browser); then
  echo "== no Chromium on PATH: installing Debian's chromium package"
  command -v apt-get >/dev/null 2>&1 || { echo "no apt-get here: install Chromium or Chrome yourself (or set E2E_BROWSER)" >&2; exit 1; }
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update -q >/dev/null
    "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null
  fi
  browser=$(find_browser) || { echo "chromium installed but not on PATH" >&2; exit 1; }
fi
# Debian's /usr/bin/chromium is a shell wrapper; --version runs the browser.
echo "== browser for the e2e tests: $browser ($("$browser" --version 2>/dev/null | head -1))"
