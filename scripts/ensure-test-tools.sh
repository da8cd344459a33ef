#!/usr/bin/env bash
# What `npm test` needs from the system besides Node: Debian's chromium for the console's browser
# tests (services/console/src/browser.test-helper.ts). Installed when missing, as root with apt-get;
# otherwise the browser tests fail naming the apt command.
set -euo pipefail
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the console's browser tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
