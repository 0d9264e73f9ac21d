#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from their Go modules,
# once per machine, into a cache outside the work tree keyed by the pinned versions and
# the go.sum files (so a bump rebuilds, and nothing else does). Prints the bin directory.
#
#   PORTICO_TESTBED_CACHE   where binaries live (default ~/.cache/portico-testbed)
#
# A cold build takes 5-15 minutes on 2 cores; a warm one returns at once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly

pinned() { awk -v m="$2" '{ for (i = 1; i < NF; i++) if ($i == m) { sub(/^v/, "", $(i+1)); print $(i+1); exit } }' "$1"; }
kube_version=$(pinned "$here/kube/go.mod" k8s.io/kubernetes)
etcd_version=$(pinned "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)
[ -n "$kube_version" ] && [ -n "$etcd_version" ] || { echo "build.sh: cannot read the pinned versions" >&2; exit 1; }
key=$(cat "$here/kube/go.sum" "$here/etcd/go.sum" | sha256sum | cut -c1-12)
cache="${PORTICO_TESTBED_CACHE:-$HOME/.cache/portico-testbed}"
bin="$cache/k8s-v${kube_version}-etcd-v${etcd_version}-${key}"

built() { [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] && [ -x "$bin/kubectl" ] && [ -x "$bin/etcd" ]; }
if built; then
  echo "$bin"
  exit 0
fi

# One build at a time per cache: a second caller (CI's prebuild and a test run, two worktrees)
# waits for the first and then finds the binaries.
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9
if built; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build.sh: Go 1.26 is needed to build the testbed (https://go.dev/dl)" >&2; exit 1; }

mkdir -p "$bin.partial"
IFS=. read -r major minor _ <<<"$kube_version"
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X ${pkg}.gitVersion=v${kube_version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
  ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done
started=$(date +%s)
(
  cd "$here/kube"
  for cmd in kube-apiserver kube-controller-manager kubectl; do
    echo "build.sh: building $cmd v${kube_version}" >&2
    go build -trimpath -ldflags "-s -w $ldflags" -o "$bin.partial/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
)
(
  cd "$here/etcd"
  echo "build.sh: building etcd v${etcd_version}" >&2
  go build -trimpath -ldflags "-s -w" -o "$bin.partial/etcd" .
)
rm -rf "$bin" && mv "$bin.partial" "$bin"
echo "build.sh: built in $(( $(date +%s) - started )) s" >&2
echo "$bin"
