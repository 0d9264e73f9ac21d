#!/usr/bin/env bash
# Stops the control plane that up.sh started in DIR (default /tmp/portico-testbed).
set -uo pipefail
dir="${1:-${PORTICO_TESTBED_DIR:-/tmp/portico-testbed}}"
for name in kube-controller-manager kube-apiserver etcd; do
  pidfile="$dir/$name.pid"
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null && for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  rm -f "$pidfile"
done
