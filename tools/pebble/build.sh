#!/usr/bin/env bash
# Builds Pebble (Let's Encrypt's ACME test server) and pebble-challtestsrv (its DNS server,
# which answers every name with 127.0.0.1) from their Go module, pinned in go.mod, once per
# machine, into a cache outside the work tree keyed by go.sum. Prints the directory holding
# both binaries and, in certs/, Pebble's test certificates (pebble.minica.pem, cert.pem, key.pem). For the ACME tests, which validate HTTP-01 for real against the proxy.
#
#   PORTICO_TOOLS_CACHE   where binaries live (default ~/.cache/portico-tools)
#
# A cold build takes about a minute on 2 cores; a warm one returns at once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly

version=$(awk '$1 == "require" && $2 == "github.com/letsencrypt/pebble/v2" { sub(/^v/, "", $3); print $3; exit }' "$here/go.mod")
[ -n "$version" ] || { echo "tools/pebble/build.sh: cannot read Pebble's version from go.mod" >&2; exit 1; }
key=$(sha256sum "$here/go.sum" | cut -c1-12)
cache="${PORTICO_TOOLS_CACHE:-$HOME/.cache/portico-tools}"
dir="$cache/pebble-v${version}-${key}"

built() { [ -x "$dir/pebble" ] && [ -x "$dir/pebble-challtestsrv" ] && [ -f "$dir/certs/pebble.minica.pem" ]; }
if built; then
  echo "$dir"
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.pebble.lock"
flock 9
if built; then
  echo "$dir"
  exit 0
fi
command -v go >/dev/null || { echo "tools/pebble/build.sh: Go 1.26 is needed to build Pebble (https://go.dev/dl)" >&2; exit 1; }
rm -rf "$dir.partial"
mkdir -p "$dir.partial"
started=$(date +%s)
echo "tools/pebble/build.sh: building Pebble v${version}" >&2
(
  cd "$here"
  go build -trimpath -ldflags "-s -w" -o "$dir.partial/pebble" github.com/letsencrypt/pebble/v2/cmd/pebble
  go build -trimpath -ldflags "-s -w" -o "$dir.partial/pebble-challtestsrv" github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv
  # Pebble's test certificates: its listener's (localhost) and the root that signed it, which
  # the tests give the operator as PORTICO_ACME_CA_FILE. They live in the module, not the binary.
  module=$(go list -m -f '{{.Dir}}' github.com/letsencrypt/pebble/v2)
  mkdir -p "$dir.partial/certs"
  cp "$module/test/certs/pebble.minica.pem" "$module/test/certs/localhost/cert.pem" \
     "$module/test/certs/localhost/key.pem" "$dir.partial/certs/"
)
rm -rf "$dir"
mv "$dir.partial" "$dir"
echo "tools/pebble/build.sh: built in $(( $(date +%s) - started )) s" >&2
echo "$dir"
