#!/usr/bin/env bash
# The browser the page tests drive: Debian's chromium and chromium-driver
# (WebDriver), installed with apt-get when missing. Prints the driver's
# path, which tests/tests/browser_pages.rs starts (FARM_CHROMEDRIVER).
#
#   scripts/browser.sh            -> /usr/bin/chromedriver
set -euo pipefail

is_root() { [ "$(id -u)" = 0 ]; }
as_root() { if is_root; then "$@"; else sudo "$@"; fi; }

if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  echo "browser: installing Debian's chromium and chromium-driver" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-dejavu-core >/dev/null
fi
command -v chromium >/dev/null || { echo "browser: chromium did not install" >&2; exit 1; }
command -v chromedriver
