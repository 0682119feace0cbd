#!/usr/bin/env bash
# test/charts/setup.sh: installs the Debian packages the chart tests need besides Helm
# (test/charts/APT-PACKAGES: prometheus for promtool, yamllint) when missing. Idempotent; run as root.
# Helm itself comes from e2e/install-kube-tools; e2e/setup runs both.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
need=()
while read -r p; do
  [ -n "$p" ] || continue
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done < "$here/APT-PACKAGES"
if [ ${#need[@]} -gt 0 ]; then
  echo "test/charts/setup.sh: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null
  # --no-install-recommends: promtool comes with prometheus; its web UI assets and exporters are not needed.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
