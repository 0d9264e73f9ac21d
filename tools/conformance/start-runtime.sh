#!/usr/bin/env bash
# Shared by the conformance checks (source it, then call start_runtime):
# builds the runtime jar if missing, makes a throwaway CA and a server certificate for
# localhost, writes a ProxySite with TLS on its project defaults (minVersion 1.2, http2
# on) and a `respond` route, starts the runtime on 127.0.0.1 and waits for /readyz.
# stop_runtime stops it again; start_runtime installs it as an EXIT trap.
#
# After start_runtime: RT_HTTPS_PORT, RT_HTTP_PORT, RT_ADMIN_PORT, RT_DIR (work dir with
# site.yaml, secrets/, ca.crt and runtime.log), RT_PID.
#
# Knobs (environment): RT_HTTPS_PORT (default 18443), RT_HTTP_PORT (18080),
# RT_ADMIN_PORT (18901), RT_READY_TIMEOUT seconds (60), RT_KEEP=1 keeps RT_DIR.

RT_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RT_JAR="$RT_REPO_ROOT/proxy-runtime/target/proxy-runtime.jar"
RT_PID=""
RT_DIR=""

rt_log() { printf '[conformance %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

build_runtime() {
  if [[ -f "$RT_JAR" ]]; then
    return 0
  fi
  rt_log "building $RT_JAR"
  (cd "$RT_REPO_ROOT" && ./mvnw -B -q -DskipTests package -pl proxy-runtime -am)
}

# make_certs DIR SECRET: DIR/ca.crt, DIR/secrets/SECRET/{tls.crt,tls.key}
make_certs() {
  local dir=$1 secret=$2
  local s="$dir/secrets/$secret"
  mkdir -p "$s"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
    -subj "/CN=Portico conformance test CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=localhost" -keyout "$s/tls.key" -out "$dir/server.csr" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 90 -sha256 -extfile "$dir/server.ext" -out "$s/tls.crt" 2>/dev/null
}

# write_site FILE SECRET: TLS with every default left alone (what a user gets).
write_site() {
  cat > "$1" <<EOF
apiVersion: portico.dev/v1alpha1
kind: ProxySite
metadata:
  name: conformance
spec:
  hosts: ["localhost", "*"]
  tls:
    certificates:
      - secretName: $2
  routes:
    - match: {path: {type: PathPrefix, value: /}}
      # Longer than a few bytes: h2spec 6.9.2 #2 needs a body that outgrows a tiny window.
      respond: {status: 200, body: "Portico conformance check: this body is longer than h2spec small windows.\n"}
EOF
}

stop_runtime() {
  if [[ -n "$RT_PID" ]] && kill -0 "$RT_PID" 2>/dev/null; then
    kill -TERM "$RT_PID" 2>/dev/null || true
    local _
    for _ in $(seq 1 100); do
      kill -0 "$RT_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$RT_PID" 2>/dev/null && kill -KILL "$RT_PID" 2>/dev/null
    wait "$RT_PID" 2>/dev/null || true
  fi
  RT_PID=""
  if [[ -n "$RT_DIR" && -d "$RT_DIR" && "${RT_KEEP:-0}" != 1 ]]; then
    rm -rf "$RT_DIR"
  elif [[ -n "$RT_DIR" ]]; then
    rt_log "kept $RT_DIR"
  fi
  RT_DIR=""
}

start_runtime() {
  RT_HTTPS_PORT="${RT_HTTPS_PORT:-18443}"
  RT_HTTP_PORT="${RT_HTTP_PORT:-18080}"
  RT_ADMIN_PORT="${RT_ADMIN_PORT:-18901}"
  build_runtime
  RT_DIR="$(mktemp -d -t portico-conformance.XXXXXX)"
  trap stop_runtime EXIT
  trap 'exit 130' INT TERM
  make_certs "$RT_DIR" conformance-tls
  write_site "$RT_DIR/site.yaml" conformance-tls
  java -jar "$RT_JAR" --site "$RT_DIR/site.yaml" --secrets-dir "$RT_DIR/secrets" \
    --http-port "$RT_HTTP_PORT" --https-port "$RT_HTTPS_PORT" --admin-port "$RT_ADMIN_PORT" \
    --bind 127.0.0.1 > "$RT_DIR/runtime.log" 2>&1 &
  RT_PID=$!
  local deadline=$(( SECONDS + ${RT_READY_TIMEOUT:-60} ))
  until curl -fsS -o /dev/null "http://127.0.0.1:$RT_ADMIN_PORT/readyz" 2>/dev/null; do
    if ! kill -0 "$RT_PID" 2>/dev/null || (( SECONDS > deadline )); then
      rt_log "runtime did not become ready; its log:"
      tail -n 50 "$RT_DIR/runtime.log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
  rt_log "runtime ready (pid $RT_PID): https://127.0.0.1:$RT_HTTPS_PORT"
}

# Run on its own: start the runtime and keep it until Ctrl-C (for poking at it by hand).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  start_runtime
  rt_log "CA: $RT_DIR/ca.crt; Ctrl-C stops it"
  wait "$RT_PID"
fi
