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
  echo "== no Chromium on PATH (or set E2E_BROWSER)"
  . "$(dirname "$0")/debian.sh"
  debian_install --no-recommends chromium
  browser=$(find_browser) || { echo "chromium installed but not on PATH" >&2; exit 1; }
fi
# Debian's /usr/bin/chromium is a shell wrapper; --version runs the browser.
echo "== browser for the e2e tests: $browser ($("$browser" --version 2>/dev/null | head -1))"
