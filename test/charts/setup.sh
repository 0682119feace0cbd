#!/usr/bin/env bash
# test/charts/setup.sh: installs what the chart tests need (test/charts/APT-PACKAGES: Go and sprig for the
# renderer, promtool, yamllint) when missing, and builds the renderer. Idempotent; run as root.
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
# Build the renderer now rather than inside the first test (a cold build takes ~20 s).
"$here/render.sh" > /dev/null
