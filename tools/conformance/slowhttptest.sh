#!/usr/bin/env bash
# Slow-client attacks (issue 6): slowhttptest's slowloris (-H), slow body (-B) and slow
# read (-X), each with 2,000 connections for a bounded time, against the runtime on
# loopback, while a probe (curl every 0.5 s, 2 s timeout, from another loopback address)
# checks that a normal client keeps being answered. Exits non-zero when any probe fails,
# when slowhttptest's own probe finds the service unavailable, or when upstream
# connections are still in use once an attack is over (a leak).
#
# The runtime serves a site with short slow-client limits (5 s head, body pause and send
# timeouts), so a bounded run sees every attack connection cut, and a per-client cap
# above the attack's size, so the timeouts are what is tested (2,000 attackers behind
# 2,000 addresses would not meet the cap). It proxies to tools/conformance/slow-backend.py
# (asyncio: reads bodies, /big answers 256 KiB), so slow bodies and slow reads go all the
# way to an origin and back. Takes about 1 minute.
#
# Knobs (environment): SLOW_ATTACKS ("slowloris slowbody slowread"), SLOW_CONNECTIONS (2000), SLOW_RATE connections/s (400),
# SLOW_LENGTH seconds per attack (20), SLOW_BACKEND_PORT (19081), SLOW_TARGET_PORT: attack
# a server already listening on 127.0.0.1:PORT instead of starting the runtime (e.g.
# nginx proxying to the backend port, for a comparison; the leak check is skipped), plus
# start-runtime.sh's (ports default to 19080, 19443, 19901 here). Reports: target/conformance/slowhttptest/.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=start-runtime.sh
source "$SCRIPT_DIR/start-runtime.sh"
cd "$RT_REPO_ROOT"

# Ports of their own, so this can run while another check holds start-runtime.sh's defaults.
RT_HTTP_PORT="${RT_HTTP_PORT:-19080}"
RT_HTTPS_PORT="${RT_HTTPS_PORT:-19443}"
RT_ADMIN_PORT="${RT_ADMIN_PORT:-19901}"
CONNECTIONS="${SLOW_CONNECTIONS:-2000}"
RATE="${SLOW_RATE:-400}"
LENGTH="${SLOW_LENGTH:-20}"
BACKEND_PORT="${SLOW_BACKEND_PORT:-19081}"
TARGET_PORT="${SLOW_TARGET_PORT:-}"
OUT_DIR="$RT_REPO_ROOT/target/conformance/slowhttptest"
PROBE_LOG="$OUT_DIR/probe.log"
# The probe's own address: a client other than the attacker (Linux routes 127/8 to lo).
PROBE_SOURCE=127.0.0.2

if ! command -v slowhttptest >/dev/null; then
  rt_log "slowhttptest is not installed (Debian: apt-get install slowhttptest)"
  exit 1
fi

# 2,000 attack sockets in slowhttptest, as many client sockets plus as many upstream ones
# in the runtime, and the backend's: raise the soft limit this shell hands down.
need=$(( CONNECTIONS * 2 + 1024 ))
soft=$(ulimit -Sn)
hard=$(ulimit -Hn)
if [[ "$soft" != unlimited && "$soft" -lt "$need" ]]; then
  if [[ "$hard" == unlimited || "$hard" -ge "$need" ]]; then
    ulimit -n "$need"
  else
    ulimit -n "$hard"
    rt_log "warning: file descriptors limited to $hard, below the $need this run wants"
  fi
fi

# Replaces start-runtime.sh's site: plain HTTP, short slow-client limits, one backend.
write_site() {
  cat > "$1" <<EOF
apiVersion: portico.dev/v1alpha1
kind: ProxySite
metadata:
  name: slowhttptest
spec:
  hosts: ["*"]
  limits:
    requestHeaderTimeout: 5s
    requestBodyTimeout: 5s
    sendTimeout: 5s
    maxConnectionsPerClient: $(( CONNECTIONS * 2 ))
  routes:
    - match: {path: {type: PathPrefix, value: /}}
      backend: {service: 127.0.0.1, port: $BACKEND_PORT}
EOF
}

BACKEND_PID=""
PROBE_PID=""
cleanup() {
  local pid
  for pid in $PROBE_PID $BACKEND_PID; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  stop_runtime
}

rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"
python3 "$SCRIPT_DIR/slow-backend.py" "$BACKEND_PORT" > "$OUT_DIR/backend.log" 2>&1 &
BACKEND_PID=$!
trap cleanup EXIT
if [[ -n "$TARGET_PORT" ]]; then
  PORT="$TARGET_PORT"
  rt_log "attacking the server on 127.0.0.1:$PORT (not starting the runtime)"
else
  start_runtime
  trap cleanup EXIT # start_runtime installed stop_runtime alone
  PORT="$RT_HTTP_PORT"
fi
BASE="http://127.0.0.1:$PORT"
deadline=$(( SECONDS + 10 ))
until curl -fsS -o /dev/null --max-time 2 "$BASE/ready"; do
  (( SECONDS < deadline )) || { rt_log "no answer from $BASE/ready through the backend"; exit 1; }
  sleep 0.2
done

# The runtime's open client connections ("-" when attacking another server): they fall
# as the limits cut attack connections, even while slowhttptest, which sees a close only
# once it has read everything before it, still counts them as connected.
runtime_connections() {
  if [[ -n "$TARGET_PORT" ]]; then
    echo -
  else
    curl -s --max-time 1 "http://127.0.0.1:$RT_ADMIN_PORT/metrics" \
      | awk '/^portico_connections_open / {printf "%d\n", $2; found = 1} END {if (!found) print "?"}'
  fi
}

# The runtime's CPU use (percent of one core, averaged over its life as ps reports it) and RSS.
runtime_cpu() {
  if [[ -n "$TARGET_PORT" ]]; then
    echo "- -"
  else
    ps -o %cpu=,rss= -p "$RT_PID" 2>/dev/null | awk '{printf "%s%% %dMiB\n", $1, $2 / 1024}'
  fi
}

# One line per probe: wall time, the attack running, HTTP status (000: none), total and
# connect seconds, the runtime's open client connections, its CPU and RSS.
PHASE_FILE="$OUT_DIR/phase"
echo idle > "$PHASE_FILE"
probe_loop() {
  while :; do
    local code
    code=$(curl -s -o /dev/null -w '%{http_code} %{time_total} %{time_connect}' --max-time 2 --interface "$PROBE_SOURCE" \
      "$BASE/probe" 2>/dev/null || true)
    [[ -n "$code" ]] || code="000 2 -"
    echo "$(date +%T.%3N) $(cat "$PHASE_FILE") $code $(runtime_connections) $(runtime_cpu)" >> "$PROBE_LOG"
    sleep 0.5
  done
}
probe_loop &
PROBE_PID=$!

# Upstream connections in use (open minus idle in the pool), from the runtime's metrics.
upstream_in_use() {
  curl -fsS --max-time 2 "http://127.0.0.1:$RT_ADMIN_PORT/metrics" | awk '
    /^portico_upstream_connections_open / {open = $2}
    /^portico_upstream_connections_idle / {idle = $2}
    END {printf "%d\n", open - idle}'
}

failures=()
# run_attack NAME ARGS...: one slowhttptest run; its CSV's last column is 1 while its own
# probe (a fresh connection, -p 2 s) is answered, 0 when the service is unavailable.
run_attack() {
  local name=$1
  shift
  echo "$name" > "$PHASE_FILE"
  rt_log "$name: slowhttptest $* -c $CONNECTIONS -r $RATE -l $LENGTH"
  local started=$SECONDS
  timeout $(( LENGTH + 60 )) slowhttptest "$@" -c "$CONNECTIONS" -r "$RATE" -l "$LENGTH" -p 2 \
    -g -o "$OUT_DIR/$name" > "$OUT_DIR/$name.log" 2>&1 || true
  local elapsed=$(( SECONDS - started ))
  echo idle > "$PHASE_FILE"
  local csv="$OUT_DIR/$name.csv"
  if [[ ! -s "$csv" ]]; then
    failures+=("$name: slowhttptest wrote no statistics (see $OUT_DIR/$name.log)")
    return
  fi
  local stats
  stats=$(awk -F, 'NR > 1 {
      if ($4 > connected) connected = $4
      if ($2 > closed) closed = $2
      if ($5 == 0) down++   # the status its probe got, 0 for none
      rows++ }
    END {printf "%d %d %d %d\n", connected, closed, down, rows}' "$csv")
  read -r connected closed down rows <<<"$stats"
  local status
  status=$(grep -E "Exit status" "$OUT_DIR/$name.log" | tail -n 1 | sed -e "s/\x1b\[[0-9;]*m//g" -e "s/^[[:space:]]*//" || true)
  echo "slowhttptest $name: ${elapsed}s; at most $connected connected at once, $closed closed;" \
    "service unavailable in $down of $rows seconds; ${status:-no exit status}"
  if (( down > 0 )); then
    failures+=("$name: slowhttptest found the service unavailable for $down s")
  fi
  if [[ -z "$TARGET_PORT" ]]; then
    local in_use="?" _
    for _ in $(seq 1 40); do
      in_use=$(upstream_in_use || echo "?")
      [[ "$in_use" == 0 ]] && break
      sleep 0.5
    done
    echo "slowhttptest $name: upstream connections in use 20 s after at most: $in_use"
    [[ "$in_use" == 0 ]] || failures+=("$name: $in_use upstream connections still in use after the attack")
  fi
}

for attack in ${SLOW_ATTACKS:-slowloris slowbody slowread}; do
  case "$attack" in
    slowloris) run_attack slowloris -H -i 10 -x 24 -u "$BASE/" ;;
    slowbody) run_attack slowbody -B -i 10 -s 8192 -x 24 -u "$BASE/upload" ;;
    slowread) run_attack slowread -X -k 3 -n 3 -w 16 -y 64 -z 32 -u "$BASE/big" ;;
    *) rt_log "unknown attack $attack"; exit 2 ;;
  esac
done

kill "$PROBE_PID" 2>/dev/null || true
wait "$PROBE_PID" 2>/dev/null || true
PROBE_PID=""

total=$(wc -l < "$PROBE_LOG")
bad=$(awk '$3 != "200"' "$PROBE_LOG" | wc -l)

slowest=$(awk 'BEGIN {m = 0} $4 > m {m = $4} END {print m}' "$PROBE_LOG")
echo "slowhttptest probe: $total probes from $PROBE_SOURCE, $bad failed, slowest ${slowest}s (log $PROBE_LOG)"
if (( bad > 0 )); then
  awk '$3 != "200"' "$PROBE_LOG" | head -n 20
  failures+=("$bad probes failed")
fi
if [[ ${#failures[@]} -gt 0 ]]; then
  printf 'slowhttptest: FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "slowhttptest: OK (slowloris, slow body, slow read; $CONNECTIONS connections each)"
