#!/usr/bin/env bash
# test/charts/render.sh [VALUES.yaml] [render flags...] > out.yaml
#
# Renders charts/ipvs-proxier as `helm template` would, with test/charts/render (our Go implementation of
# Helm's engine: no helm binary can be installed here). The renderer is built into .cache/charts/ on first
# use and again whenever its sources change. Extra flags go to the renderer: -f MORE.yaml, --name,
# --namespace, --kube-version, --api-versions, --notes, --chart DIR.
# Exit codes: the renderer's (1 template error, 2 usage), 3 when Go or sprig is not installed
# (test/charts/setup.sh installs them).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
src=$repo/test/charts/render
out=$repo/.cache/charts
bin=$out/render

missing() {
  echo "render.sh: $1 is not installed: run test/charts/setup.sh (apt packages: $(tr '\n' ' ' < "$repo/test/charts/APT-PACKAGES"))" >&2
  exit 3
}

if [ ! -x "$bin" ] || [ -n "$(find "$src" -name '*.go' -newer "$bin")" ]; then
  command -v go >/dev/null || missing "go"
  [ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] || missing "sprig (golang-github-masterminds-sprig-dev)"
  mkdir -p "$out"
  # GOPATH mode against Debian's Go packages: no module download, nothing outside the machine.
  # (GOPATH mode builds a directory outside GOPATH only as ".", not by absolute path.)
  (cd "$src" && GO111MODULE=off GOFLAGS= GOPATH="$out/gopath:/usr/share/gocode" GOCACHE="$out/go-build" \
    go build -o "$bin.tmp.$$" .)
  mv -f "$bin.tmp.$$" "$bin"
fi

args=(--chart "$repo/charts/ipvs-proxier")
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  args+=(-f "$1")
  shift
fi
exec "$bin" "${args[@]}" "$@"
