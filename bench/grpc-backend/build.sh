#!/usr/bin/env bash
# Builds bench/grpc-backend (the gRPC backend and probe of bench/run.sh's grpc scenario) once
# per machine, into a cache outside the work tree keyed by its sources, and prints the
# binary's path. Needs Go 1.26 and the Go module proxy; a cold build takes under a minute.
#
#   PORTICO_TOOLS_CACHE   where binaries live (default ~/.cache/portico-tools)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-12)
cache="${PORTICO_TOOLS_CACHE:-$HOME/.cache/portico-tools}"
binary="$cache/grpc-backend-$key"
if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi
command -v go >/dev/null || { echo "bench/grpc-backend/build.sh: Go 1.26 is needed (https://go.dev/dl)" >&2; exit 1; }
mkdir -p "$cache"
(cd "$here" && go build -trimpath -ldflags "-s -w" -o "$binary.partial" .)
mv "$binary.partial" "$binary"
echo "$binary"
