#!/usr/bin/env bash
# Installs Debian's Chromium for the report's browser test, when it is not there yet.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(command -v chromium)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing; run this script as root (it uses apt-get)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "installed chromium: $(command -v chromium)"
