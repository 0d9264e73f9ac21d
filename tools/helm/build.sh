#!/usr/bin/env bash
# Builds the helm CLI from its Go module (helm.sh/helm/v4, pinned in go.mod), once per machine,
# into a cache outside the work tree keyed by go.sum. Prints the binary's path. For
# HelmChartTest (helm lint, helm template, helm install onto the testbed) and for users
# without a helm of their own.
#
#   PORTICO_TOOLS_CACHE   where binaries live (default ~/.cache/portico-tools)
#
# A cold build takes 2-5 minutes on 2 cores; a warm one returns at once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly

version=$(awk '{ for (i = 1; i < NF; i++) if ($i == "helm.sh/helm/v4") { sub(/^v/, "", $(i+1)); print $(i+1); exit } }' "$here/go.mod")
[ -n "$version" ] || { echo "tools/helm/build.sh: cannot read helm's version from go.mod" >&2; exit 1; }
key=$(sha256sum "$here/go.sum" | cut -c1-12)
cache="${PORTICO_TOOLS_CACHE:-$HOME/.cache/portico-tools}"
bin="$cache/helm-v${version}-${key}/helm"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.helm.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "tools/helm/build.sh: Go 1.26 is needed to build helm (https://go.dev/dl)" >&2; exit 1; }
mkdir -p "$(dirname "$bin")"
started=$(date +%s)
echo "tools/helm/build.sh: building helm v${version}" >&2
(
  cd "$here"
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v${version}" -o "$bin.partial" helm.sh/helm/v4/cmd/helm
)
mv "$bin.partial" "$bin"
echo "tools/helm/build.sh: built in $(( $(date +%s) - started )) s" >&2
echo "$bin"
