#!/usr/bin/env bash
# Installs promtool (from Debian's prometheus package) to check and unit-test
# deploy/prometheus/alerts.yml, when it is not there yet.
set -euo pipefail
if command -v promtool >/dev/null 2>&1; then
  echo "promtool already installed: $(command -v promtool) ($(promtool --version 2>&1 | head -n 1))"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "promtool is missing; run this script as root (it uses apt-get), or install Prometheus's promtool yourself" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: promtool only; the package's recommends pull in exporters we never run.
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
echo "installed promtool: $(command -v promtool) ($(promtool --version 2>&1 | head -n 1))"
