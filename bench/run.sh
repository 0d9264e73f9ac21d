#!/usr/bin/env bash
# Portico vs nginx and HAProxy, side by side: same machine, same run, reported as
# ratios to the best peer per scenario.
# This is a benchmark, not a test: it exits 0 when it measured something, even
# when a target is missed. See bench/README.md for what it measures and why.
set -euo pipefail

# ---------------------------------------------------------------------------
# Knobs (environment)
# ---------------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

SCENARIOS="${SCENARIOS:-http1_keepalive}"   # space/comma separated list
ONLY="${ONLY:-}"                            # "" (all) or a list of portico, nginx, haproxy, baseline
ROUNDS="${ROUNDS:-3}"                       # measured rounds per proxy
DURATION="${DURATION:-15}"                  # seconds per measured round ("15" or "15s")
WARMUP="${WARMUP:-15}"                      # seconds of unrecorded warm-up per proxy (0 = none)
CONNECTIONS="${CONNECTIONS:-50}"
THREADS="${THREADS:-1}"                     # wrk threads
PROXY_CPU="${PROXY_CPU:-0}"                 # CPU list for the proxy under test (taskset -c)
WORKERS="${WORKERS:-1}"                     # nginx worker_processes, HAProxy nbthread, Portico event loops
                                            # (issue 15 "scale across cores": WORKERS=2 PROXY_CPU=0,1 LOAD_CPU=0,1)
LOAD_CPU="${LOAD_CPU:-1}"                   # CPU list for backend nginx and the load generator
BACKEND_PORT="${BACKEND_PORT:-18081}"
NGINX_PORT="${NGINX_PORT:-18082}"
PORTICO_PORT="${PORTICO_PORT:-18083}"
ADMIN_PORT="${ADMIN_PORT:-18084}"
NGINX_TLS_PORT="${NGINX_TLS_PORT:-18085}"     # TLS listeners (only with a TLS scenario)
PORTICO_TLS_PORT="${PORTICO_TLS_PORT:-18086}"
HAPROXY_PORT="${HAPROXY_PORT:-18087}"
HAPROXY_TLS_PORT="${HAPROXY_TLS_PORT:-18088}"
TLS_KEY="${TLS_KEY:-ec}"                    # throwaway self-signed cert: "ec" (P-256) or "rsa" (2048)
NEWCONN_CONNECTIONS="${NEWCONN_CONNECTIONS:-16}"   # wrk connections for https_newconn
H2_CONNECTIONS="${H2_CONNECTIONS:-16}"      # h2load connections (-c)
H2_STREAMS="${H2_STREAMS:-10}"              # h2load concurrent streams per connection (-m)
HOST_HEADER="${HOST_HEADER:-bench.local}"
BODY_BYTES="${BODY_BYTES:-100}"
PORTICO_JAR="${PORTICO_JAR:-}"              # default: <repo>/proxy-runtime/target/proxy-runtime.jar
BASELINE_JAR="${BASELINE_JAR:-}"            # another Portico jar run alongside as "baseline" (before/after)
BASELINE_PORT="${BASELINE_PORT:-18090}"     # its listeners, like Portico's
BASELINE_TLS_PORT="${BASELINE_TLS_PORT:-18091}"
BASELINE_ADMIN_PORT="${BASELINE_ADMIN_PORT:-18092}"
BASELINE_JAVA_OPTS="${BASELINE_JAVA_OPTS:-}"  # JVM flags for the baseline only, after JAVA_OPTS (a flag's before/after: the
                                            # baseline runs the same jar with the old value, e.g. BASELINE_JAR=the jar)
GRPC_BACKEND_PORT="${GRPC_BACKEND_PORT:-18093}"   # the grpc scenario's backend (bench/grpc-backend, h2c)
GRPC_CONNECTIONS="${GRPC_CONNECTIONS:-16}"  # h2load connections (-c) for grpc, H2_STREAMS streams each
BASELINE_TARGET="${BASELINE_TARGET:-0.98}"  # Portico req/s >= this x the baseline's (issue 13: a change costs nothing)
JAVA_BIN="${JAVA_BIN:-java}"
JAVA_OPTS="${JAVA_OPTS:-}"                  # extra JVM flags, appended after the image's
POD_MEMORY="${POD_MEMORY:-512m}"            # the proxy pod's memory limit the JVM sizes itself by (-XX:MaxRAM)
PORTICO_ARGS="${PORTICO_ARGS:-}"            # extra Portico CLI flags (e.g. "--workers 1")
READY_TIMEOUT="${READY_TIMEOUT:-30}"
RESULTS_FILE="${RESULTS_FILE:-$SCRIPT_DIR/results/latest.md}"
KEEP_WORKDIR="${KEEP_WORKDIR:-0}"           # 1 = keep configs and logs for inspection
NOISY_PCT="${NOISY_PCT:-10}"                # warn when foreign processes used >= this % of a core

# Targets per scenario (issue 15): Portico req/s >= RPS x the best peer's, Portico p99 <=
# P99 x the best peer's. "-" = reported for information only, no verdict.
# grpc (issue 14) has no target: it reports Portico's gRPC proxying beside nginx's grpc_pass.
declare -A RPS_TARGET=([http1_keepalive]=1.0 [https_keepalive]=1.0 [https_newconn]=- [tls_handshake]=- [h2]=1.0 [h2_c64]=1.0 [h2_c256]=- [grpc]=-)
declare -A P99_TARGET=([http1_keepalive]=1.5 [https_keepalive]=1.5 [https_newconn]=- [tls_handshake]=- [h2]=1.5 [h2_c64]=1.5 [h2_c256]=- [grpc]=-)
# Work per proxy CPU-second >= EFF x nginx's: tls_handshake, whose rate is the client's (one
# handshake at a time), so what the proxy spends per handshake is the measure.
declare -A EFF_TARGET=([tls_handshake]=1.0)
declare -A LOAD_DESC=()   # scenario -> load command, for the report
TLS_SCENARIOS=" https_keepalive https_newconn tls_handshake h2 h2_c64 h2_c256 grpc "
NEED_TLS=0
NEED_GRPC=0         # the grpc scenario: a gRPC backend, and a gRPC route on every proxy's TLS listener
GRPC_PATH="/bench.Echo/Unary"

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

WORKDIR=""
STARTED_PIDS=()       # every long-lived process we started (killed on exit)
LOAD_PID=""           # the load generator currently running, if any

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$LOAD_PID" ]]; then kill -TERM "$LOAD_PID" 2>/dev/null || true; fi
  # Stop in reverse start order: proxies before the backend they talk to.
  local pid i
  local -a pids=()
  for (( i = ${#STARTED_PIDS[@]} - 1; i >= 0; i-- )); do pids+=("${STARTED_PIDS[$i]}"); done
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    local _
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop on TERM; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then
    if [[ "$KEEP_WORKDIR" == "1" || $rc -ne 0 ]]; then
      log "work dir kept (configs, logs, raw load-generator output): $WORKDIR"
    else
      rm -rf "$WORKDIR"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

seconds_of() {  # "15" or "15s" -> 15
  local v="${1%s}"
  [[ "$v" =~ ^[0-9]+$ ]] || die "durations are whole seconds (got '$1')"
  printf '%s' "$v"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# http_code URL [curl args...] -> prints the status code (000 when unreachable)
http_code() {
  local url="$1"; shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$@" "$url" 2>/dev/null || true
}

# wait_ready URL TIMEOUT_S PID NAME [LOGFILE]: poll until 200, fail if PID
# dies or time runs out (showing the tail of LOGFILE).
wait_ready() {
  local url="$1" timeout_s="$2" pid="$3" name="$4" logfile="${5:-}" deadline code
  show_log() { if [[ -n "$logfile" && -s "$logfile" ]]; then tail -n 20 "$logfile" >&2; fi; }
  deadline=$(( $(date +%s) + timeout_s ))
  while :; do
    code="$(http_code "$url")"
    [[ "$code" == "200" ]] && return 0
    kill -0 "$pid" 2>/dev/null || { show_log; die "$name (pid $pid) exited before it was ready"; }
    (( $(date +%s) < deadline )) || { show_log; die "$name not ready at $url after ${timeout_s}s (last status $code)"; }
    sleep 0.2
  done
}

# Median of the numbers given as arguments ("-" values are ignored).
median() {
  printf '%s\n' "$@" | awk '$1 != "-" && $1 != ""' | sort -g | awk '
    { v[NR] = $1 }
    END {
      if (NR == 0) { print "-"; exit }
      if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
      else        printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}

# Peak resident set (VmHWM) in MiB of PIDS (one pid, or a space-separated list, e.g. the
# workers of a multi-process nginx: their sum).
peak_rss_mib() {
  local p files=()
  for p in $1; do [[ -r "/proc/$p/status" ]] && files+=("/proc/$p/status"); done
  (( ${#files[@]} > 0 )) || { echo "-"; return; }
  awk '/^VmHWM:/ { kb += $2; found = 1 } END { if (found) printf "%.1f\n", kb / 1024; else print "-" }' "${files[@]}"
}

# Cumulative CPU ticks (user + system, all threads) of PIDS (one pid or a space-separated list).
cpu_ticks() {
  local p sum=0 t
  for p in $1; do
    [[ -r "/proc/$p/stat" ]] || continue
    # Field 2 (comm) may contain spaces: strip through the closing paren first.
    t="$(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')"
    sum=$(( sum + t ))
  done
  echo "$sum"
}
CLK_TCK="$(getconf CLK_TCK)"

# Busy CPU ticks of the whole machine (user nice system irq softirq steal).
machine_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

# Ticks of this script itself plus its reaped children (the load generator
# once waited for, the small helpers).
self_ticks() { sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $12 + $13 + $14 + $15 }'; }

# tick_snapshot PROXY_PID -> "wall_s machine proxy rest self", where rest is
# the backend worker plus the idle proxies (ours, so not "other load").
tick_snapshot() {
  local rest p
  rest="$(cpu_ticks "$BACKEND_WORKER_PID ${GRPC_BACKEND_PID:-}")"
  for p in "${PROXY_PID[@]}"; do
    [[ "$p" == "$1" ]] || rest=$(( rest + $(cpu_ticks "$p") ))
  done
  echo "${EPOCHREALTIME/,/.} $(machine_busy_ticks) $(cpu_ticks "$1") $rest $(self_ticks)"
}

# ---------------------------------------------------------------------------
# Load generators and their parsers (generic: any scenario may use them).
# Every parser prints one line: "<req/s> <p50 ms> <p99 ms> <errors> <requests>",
# "-" for a value the tool did not give.
# ---------------------------------------------------------------------------

# run_load OUTFILE DURATION_S COMMAND... : run a load generator pinned to
# LOAD_CPU, bounded in time, in the background so that signals reach our traps.
run_load() {
  local out="$1" dur="$2"; shift 2
  timeout --kill-after=5 "$(( dur + 60 ))" taskset -c "$LOAD_CPU" "$@" >"$out" 2>&1 &
  LOAD_PID=$!
  local rc=0
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  [[ $rc -eq 0 ]] || { cat "$out" >&2; die "load generator failed (exit $rc): $*"; }
}

# wrk --latency output.
parse_wrk() {
  awk '
    function ms(v,   n) {
      n = v + 0
      if (v ~ /us$/) return n / 1000
      if (v ~ /ms$/) return n
      if (v ~ /s$/)  return n * 1000
      if (v ~ /m$/)  return n * 60000
      if (v ~ /h$/)  return n * 3600000
      return n
    }
    BEGIN { rps = "-"; p50 = "-"; p99 = "-"; err = 0; req = "-" }
    /^ *50%/                      { p50 = sprintf("%.3f", ms($2)) }
    /^ *99%/                      { p99 = sprintf("%.3f", ms($2)) }
    /^Requests\/sec:/             { rps = sprintf("%.1f", $2) }
    / requests in /               { req = $1 }
    /Non-2xx or 3xx responses:/   { err += $NF }
    /Socket errors:/              { gsub(",", ""); err += $4 + $6 + $8 + $10 }
    END { print rps, p50, p99, err, req }' "$1"
}

# h2load output, plus (optional) its --log-file for latency percentiles.
parse_h2load() {
  local out="$1" reqlog="${2:-}" pcts="- -"
  if [[ -n "$reqlog" && -s "$reqlog" ]]; then
    # columns: start_us <TAB> status <TAB> duration_us; status -1 = failed stream
    pcts="$(awk -F'\t' '$2 != -1 { print $3 }' "$reqlog" | sort -n | awk '
      { v[NR] = $1 }
      END {
        if (NR == 0) { print "- -"; exit }
        i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
        i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
        printf "%.3f %.3f\n", v[i50] / 1000, v[i99] / 1000
      }')"
  fi
  awk -v pcts="$pcts" '
    BEGIN { rps = "-"; err = 0; req = "-" }
    /^finished in/  { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^req\/s/) rps = sprintf("%.1f", $i) }
    /^requests:/    { req = $2; for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^(failed|errored|timeout)/) err += $i }
    /^status codes:/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^[345]xx/) err += $i }
    END { split(pcts, p, " "); print rps, p[1], p[2], err, req }' "$out"
}

# ---------------------------------------------------------------------------
# Setup: tools, jar, processes
# ---------------------------------------------------------------------------
ensure_tools() {
  local missing=()
  command -v nginx   >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v wrk     >/dev/null 2>&1 || missing+=(wrk)
  command -v h2load  >/dev/null 2>&1 || missing+=(nghttp2-client)
  command -v curl    >/dev/null 2>&1 || missing+=(curl)
  command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
  command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  if (( ${#missing[@]} > 0 )); then
    log "installing: ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx wrk nghttp2-client curl util-linux haproxy
  fi
  export PATH="$PATH:/usr/sbin:/sbin"
}

ensure_jar() {
  if [[ -n "$PORTICO_JAR" ]]; then
    [[ -f "$PORTICO_JAR" ]] || die "PORTICO_JAR=$PORTICO_JAR does not exist"
    return
  fi
  PORTICO_JAR="$REPO_ROOT/proxy-runtime/target/proxy-runtime.jar"
  local why=""
  if [[ ! -f "$PORTICO_JAR" ]]; then
    why="missing"
  elif [[ -n "$(find "$REPO_ROOT/pom.xml" "$REPO_ROOT/proxy-runtime/pom.xml" "$REPO_ROOT/proxy-runtime/src" \
                      "$REPO_ROOT/crds/pom.xml" "$REPO_ROOT/crds/src" \
                      -type f -newer "$PORTICO_JAR" -print -quit 2>/dev/null)" ]]; then
    why="older than its sources"   # never benchmark a stale jar by accident
  fi
  if [[ -n "$why" ]]; then
    log "building $PORTICO_JAR ($why)"
    (cd "$REPO_ROOT" && ./mvnw -B -q -DskipTests package -pl proxy-runtime -am) \
      || die "build of proxy-runtime failed"
    [[ -f "$PORTICO_JAR" ]] || die "build finished but $PORTICO_JAR is missing"
  fi
}

check_ports() {
  local p
  for p in "$@"; do
    ! port_in_use "$p" || die "port $p on 127.0.0.1 is already in use (set the *_PORT env knobs)"
  done
}

# One throwaway self-signed certificate per run, used by both proxies:
# $TLS_DIR/bench-tls/tls.crt + tls.key (PEM), the layout of a mounted
# kubernetes.io/tls Secret, which is what Portico's --secrets-dir reads.
make_cert() {
  TLS_DIR="$WORKDIR/secrets"
  local d="$TLS_DIR/bench-tls" keyopt
  mkdir -p "$d"
  case "$TLS_KEY" in
    ec)  keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); TLS_KEY_DESC="ECDSA P-256" ;;
    rsa) keyopt=(-newkey rsa:2048);                            TLS_KEY_DESC="RSA 2048" ;;
    *)   die "TLS_KEY must be 'ec' or 'rsa' (got '$TLS_KEY')" ;;
  esac
  openssl req -x509 "${keyopt[@]}" -nodes -sha256 -days 2 \
    -subj "/CN=$HOST_HEADER" -addext "subjectAltName=DNS:$HOST_HEADER,IP:127.0.0.1" \
    -keyout "$d/tls.key" -out "$d/tls.crt" >/dev/null 2>&1 \
    || die "openssl could not make the bench certificate"
  chmod 644 "$d/tls.key" "$d/tls.crt"   # throwaway; read by nginx's master and by java
  log "self-signed $TLS_KEY_DESC certificate for $HOST_HEADER in $d"
}

# tls_probe PORT -> what openssl s_client negotiates, and whether the server
# resumes a session that the client offers again on a new connection, per TLS
# version. Like wrk's reconnects: send a request, read the whole response (a
# TLS 1.3 ticket arrives after the handshake), close, reconnect with the session.
tls_probe() {
  local port="$1" neg v res="" sess="$WORKDIR/probe.sess" req
  req="$(printf 'GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$HOST_HEADER")"
  s_client() { timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$HOST_HEADER" -ign_eof "$@" 2>/dev/null || true; }
  neg="$(s_client <<<"$req" | awk '/^New, / { print $2, $NF; exit }' | tr -d ',')"
  for v in 1_2 1_3; do
    rm -f "$sess"
    s_client -tls$v -sess_out "$sess" <<<"$req" >/dev/null
    if [[ -s "$sess" ]] && s_client -tls$v -sess_in "$sess" <<<"$req" | grep -q '^Reused'; then
      res+="${res:+, }TLS${v/_/.} yes"
    else
      res+="${res:+, }TLS${v/_/.} no"
    fi
  done
  echo "negotiated ${neg:-?}; resumes an offered session: $res"
}

# The temp dirs nginx insists on having, inside our work dir.
nginx_temp_paths() {
  local d="$1"
  mkdir -p "$d/body" "$d/proxy" "$d/fastcgi" "$d/uwsgi" "$d/scgi"
  cat <<EOF
  client_body_temp_path $d/body;
  proxy_temp_path       $d/proxy;
  fastcgi_temp_path     $d/fastcgi;
  uwsgi_temp_path       $d/uwsgi;
  scgi_temp_path        $d/scgi;
EOF
}

# launch_nginx NAME CONF CPU -> sets NGINX_MASTER_PID; master runs in the
# foreground (daemon off) so its pid is ours; the worker inherits the pinning.
launch_nginx() {
  local name="$1" conf="$2" cpu="$3"
  nginx -t -q -p "$WORKDIR/$name" -e "$WORKDIR/$name/error.log" -c "$conf" \
    || die "nginx config for $name is invalid: $conf"
  taskset -c "$cpu" nginx -p "$WORKDIR/$name" -e "$WORKDIR/$name/error.log" -c "$conf" \
    >"$WORKDIR/$name/stdout.log" 2>&1 &
  NGINX_MASTER_PID=$!
  STARTED_PIDS+=("$NGINX_MASTER_PID")
}

# The nginx workers of a master, space-separated (worker_processes 1 -> exactly one).
nginx_worker_pid() {
  local pids
  pids="$(pgrep -P "$1" | xargs || true)"
  [[ -n "$pids" ]] || die "no worker process under nginx master $1"
  printf '%s' "$pids"
}

start_backend() {
  local dir="$WORKDIR/backend" body
  mkdir -p "$dir"
  body="$(head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x')"
  BACKEND_BODY="$body"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
$(nginx_temp_paths "$dir/tmp")
  keepalive_timeout  300s;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$BACKEND_PORT default_server backlog=4096;
    server_name _;
    default_type text/plain;
    location / { return 200 "$body"; }
  }
}
EOF
  launch_nginx backend "$dir/nginx.conf" "$LOAD_CPU"
  BACKEND_PID="$NGINX_MASTER_PID"
  wait_ready "http://127.0.0.1:$BACKEND_PORT/" 10 "$BACKEND_PID" "backend nginx" "$dir/error.log"
  BACKEND_WORKER_PID="$(nginx_worker_pid "$BACKEND_PID")"
  log "backend nginx up on 127.0.0.1:$BACKEND_PORT (pid $BACKEND_PID, cpu $LOAD_CPU)"
}

# The grpc scenario's backend: bench/grpc-backend (grpc-go, h2c), pinned with the other backend.
start_grpc_backend() {
  local dir="$WORKDIR/grpc-backend" binary pid
  mkdir -p "$dir"
  binary="$("$SCRIPT_DIR/grpc-backend/build.sh")" || die "could not build bench/grpc-backend (needs Go)"
  GRPC_BINARY="$binary"
  taskset -c "$LOAD_CPU" "$binary" -listen "127.0.0.1:$GRPC_BACKEND_PORT" -reply-bytes "$BODY_BYTES" \
    >"$dir/stdout.log" 2>&1 &
  pid=$!
  STARTED_PIDS+=("$pid")
  GRPC_BACKEND_PID="$pid"
  local i
  for i in $(seq 1 50); do
    port_in_use "$GRPC_BACKEND_PORT" && break
    kill -0 "$pid" 2>/dev/null || die "grpc backend died: $(tail -5 "$dir/stdout.log")"
    sleep 0.1
  done
  port_in_use "$GRPC_BACKEND_PORT" || die "grpc backend did not listen on $GRPC_BACKEND_PORT"
  # One gRPC message: not compressed, 4-byte big-endian length, payload (raw bytes, not parsed).
  printf '\x00\x00\x00\x00\x05bench' >"$WORKDIR/grpc-request.bin"
  log "grpc backend up on 127.0.0.1:$GRPC_BACKEND_PORT (pid $pid, cpu $LOAD_CPU)"
}

start_proxy_nginx() {
  local dir="$WORKDIR/nginx"
  mkdir -p "$dir"
  NGINX_ACCESS_LOG="$dir/access.log"
  # One JSON line per request to a file, like Portico's stdout access log.
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $WORKERS;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  log_format bench escape=json '{"time":"\$time_iso8601","remote":"\$remote_addr",'
                               '"method":"\$request_method","host":"\$host","path":"\$request_uri",'
                               '"status":\$status,"bytes":\$body_bytes_sent,'
                               '"duration_ms":\$request_time,"upstream":"\$upstream_addr"}';
  access_log $NGINX_ACCESS_LOG bench;
$(nginx_temp_paths "$dir/tmp")
  keepalive_timeout  300s;
  keepalive_requests 100000000;

  upstream bench_backend {
    server 127.0.0.1:$BACKEND_PORT;
    keepalive 64;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }

  server {
    listen 127.0.0.1:$NGINX_PORT default_server backlog=4096;
    server_name _;
    location / {
      proxy_pass http://bench_backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host              \$host;
      proxy_set_header X-Real-IP         \$remote_addr;
      proxy_set_header X-Forwarded-For   \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host  \$host;
      proxy_set_header X-Forwarded-Port  \$server_port;
    }
  }
}
EOF
  if (( NEED_TLS )); then
    # Same proxying, same log line (plus TLS fields) on a TLS listener with
    # ALPN h2 + http/1.1, like Portico's "http2: true".
    cat >"$dir/tls.conf" <<EOF
  log_format bench_tls escape=json '{"time":"\$time_iso8601","remote":"\$remote_addr",'
                                   '"method":"\$request_method","host":"\$host","path":"\$request_uri",'
                                   '"status":\$status,"bytes":\$body_bytes_sent,'
                                   '"duration_ms":\$request_time,"upstream":"\$upstream_addr",'
                                   '"proto":"\$server_protocol","tls":"\$ssl_protocol","tls_reused":"\$ssl_session_reused"}';
  server {
    listen 127.0.0.1:$NGINX_TLS_PORT ssl http2 default_server backlog=4096;
    server_name _;
    access_log $NGINX_ACCESS_LOG bench_tls;
    ssl_certificate     $TLS_DIR/bench-tls/tls.crt;
    ssl_certificate_key $TLS_DIR/bench-tls/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 10m;
$(nginx_grpc_location)
    location / {
      proxy_pass http://bench_backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host              \$host;
      proxy_set_header X-Real-IP         \$remote_addr;
      proxy_set_header X-Forwarded-For   \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_set_header X-Forwarded-Host  \$host;
      proxy_set_header X-Forwarded-Port  \$server_port;
    }
  }
EOF
    if (( NEED_GRPC )); then
      cat >>"$dir/tls.conf" <<EOF
  upstream bench_grpc {
    server 127.0.0.1:$GRPC_BACKEND_PORT;
    keepalive 64;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
EOF
    fi
    sed -i '$d' "$dir/nginx.conf"                      # drop the closing "}" of http
    { cat "$dir/tls.conf"; echo "}"; } >>"$dir/nginx.conf"
    PROXY_TLS_PORT[nginx]="$NGINX_TLS_PORT"
  fi
  launch_nginx nginx "$dir/nginx.conf" "$PROXY_CPU"
  wait_ready "http://127.0.0.1:$NGINX_PORT/" 10 "$NGINX_MASTER_PID" "nginx proxy" "$dir/error.log"
  PROXY_PID[nginx]="$(nginx_worker_pid "$NGINX_MASTER_PID")"
  PROXY_PORT[nginx]="$NGINX_PORT"
  PROXY_LOG[nginx]="$NGINX_ACCESS_LOG"
  log "nginx proxy up on 127.0.0.1:$NGINX_PORT (worker pid ${PROXY_PID[nginx]}, cpu $PROXY_CPU)"
}

# HAProxy as the second peer: one thread, the same proxying as nginx (HTTP/1.1 keep-alive
# to the backend, X-Forwarded-* and X-Real-IP), ALPN h2 + http/1.1 on its TLS listener, and
# one JSON log line per request to stdout, which goes to a file.
# nginx's gRPC proxying (grpc_pass over kept-alive h2c connections), for the grpc scenario.
nginx_grpc_location() {
  (( NEED_GRPC )) || return 0
  cat <<EOF
    location /bench.Echo/ {
      grpc_pass grpc://bench_grpc;
      grpc_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
EOF
}

start_proxy_haproxy() {
  local dir="$WORKDIR/haproxy" pid tls_bind=""
  mkdir -p "$dir"
  if (( NEED_TLS )); then
    cat "$TLS_DIR/bench-tls/tls.crt" "$TLS_DIR/bench-tls/tls.key" >"$dir/bench.pem"
    tls_bind="  bind 127.0.0.1:$HAPROXY_TLS_PORT ssl crt $dir/bench.pem alpn h2,http/1.1 ssl-min-ver TLSv1.2"
    PROXY_TLS_PORT[haproxy]="$HAPROXY_TLS_PORT"
  fi
  cat >"$dir/haproxy.cfg" <<EOF
global
  nbthread $WORKERS
  # Within the machine's 20,000 descriptors (two per proxied connection, plus some).
  maxconn 8000
  log stdout format raw local0 info
  tune.ssl.cachesize 20000

defaults
  mode http
  log global
  log-format '{"time":"%tr","remote":"%ci","method":"%HM","path":"%HU","status":%ST,"bytes":%B,"duration_ms":%Ta,"proto":"%HV","tls":"%sslv"}'
  option http-keep-alive
  timeout connect 5s
  timeout client 300s
  timeout server 300s
  timeout http-keep-alive 300s
  timeout http-request 10s

frontend bench
  bind 127.0.0.1:$HAPROXY_PORT backlog 4096
$tls_bind
  option forwardfor
  http-request set-header X-Real-IP %[src]
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  http-request set-header X-Forwarded-Proto http unless { ssl_fc }
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Forwarded-Port %[dst_port]
  default_backend backend_nginx
$( (( NEED_GRPC )) && echo "  use_backend backend_grpc if { path_beg /bench.Echo/ }")

backend backend_nginx
  http-reuse safe
  server backend 127.0.0.1:$BACKEND_PORT maxconn 4000
$( (( NEED_GRPC )) && printf '%s\n' "backend backend_grpc" "  http-reuse safe" "  server grpc 127.0.0.1:$GRPC_BACKEND_PORT proto h2 maxconn 4000")
EOF
  haproxy -c -q -f "$dir/haproxy.cfg" || die "haproxy config is invalid: $dir/haproxy.cfg"
  taskset -c "$PROXY_CPU" haproxy -db -f "$dir/haproxy.cfg" >>"$dir/stdout.log" 2>"$dir/stderr.log" &
  pid=$!
  STARTED_PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$HAPROXY_PORT/" 10 "$pid" "HAProxy" "$dir/stderr.log"
  PROXY_PID[haproxy]="$pid"
  PROXY_PORT[haproxy]="$HAPROXY_PORT"
  PROXY_LOG[haproxy]="$dir/stdout.log"
  log "HAProxy up on 127.0.0.1:$HAPROXY_PORT (pid $pid, cpu $PROXY_CPU)"
}

start_proxy_portico() {
  start_portico portico "$PORTICO_JAR" "$PORTICO_PORT" "$PORTICO_TLS_PORT" "$ADMIN_PORT"
}

# The same, for the jar a change is measured against (BASELINE_JAR).
start_proxy_baseline() {
  start_portico baseline "$BASELINE_JAR" "$BASELINE_PORT" "$BASELINE_TLS_PORT" "$BASELINE_ADMIN_PORT" "$BASELINE_JAVA_OPTS"
}

# start_portico NAME JAR HTTP_PORT TLS_PORT ADMIN_PORT [EXTRA_JVM_FLAGS]
start_portico() {
  local name="$1" jar="$2" http_port="$3" tls_port="$4" admin_port="$5" extra_flags="${6:-}"
  local dir="$WORKDIR/$name" pid
  mkdir -p "$dir"
  cat >"$dir/site.yaml" <<EOF
apiVersion: portico.dev/v1alpha1
kind: ProxySite
metadata: {name: bench}
spec:
  hosts: ["*"]
  # The load generator is one client address, and nginx and HAProxy cap nothing per client
  # by default: Portico's per-client caps (256 requests in flight, 512 connections) would
  # refuse the streams of h2load -c64 -m10 beyond the 256th (seen as "errored" there). Nor do
  # they cap connections to a backend (nginx opens what it needs, HAProxy's server maxconn is
  # unlimited by default): Portico's 2,048 refuses streams of h2load -c256 -m10 (2,560 at once,
  # each on its own HTTP/1.1 upstream connection) with REFUSED_STREAM.
  limits: {maxRequestsInFlightPerClient: 100000, maxConnectionsPerClient: 100000,
           maxUpstreamConnectionsPerBackend: 100000}
  routes:
$( (( NEED_GRPC )) && printf '%s\n' "    - match: {path: {value: /bench.Echo/}}" \
     "      backend: {service: 127.0.0.1, port: $GRPC_BACKEND_PORT, protocol: GRPC}")
    - match: {path: {value: /}}
      backend: {service: 127.0.0.1, port: $BACKEND_PORT}
EOF
  local tls_args=()
  if (( NEED_TLS )); then
    cat >>"$dir/site.yaml" <<EOF
  tls:
    certificates: [{secretName: bench-tls}]
    httpRedirect: false
  http2: true
EOF
    tls_args=(--secrets-dir "$TLS_DIR" --https-port "$tls_port")
    PROXY_TLS_PORT[$name]="$tls_port"
  fi
  # Run a private copy: a rebuild of the jar during the run (other worktrees build too) can
  # then neither change what is measured nor make the report's checksum describe another jar.
  cp "$jar" "$dir/proxy-runtime.jar"
  JAR_SHA[$name]="$(sha256sum "$dir/proxy-runtime.jar" | cut -c1-12)"
  # stdout (one JSON access-log line per request) goes to a file, appended so
  # that it can be truncated between runs.
  # The JVM flags the image ships (its JAVA_TOOL_OPTIONS), with the pod's memory limit as the
  # RAM they take a share of (in a pod the JVM reads the cgroup limit; here it would read the
  # machine's). WORKERS event loops, like the peers' workers.
  IMAGE_JVM_FLAGS="$(sed -n 's/^ENV JAVA_TOOL_OPTIONS="\(.*\)"$/\1/p' "$REPO_ROOT/deploy/docker/proxy-runtime.Dockerfile")"
  [[ -n "$IMAGE_JVM_FLAGS" ]] || die "no JAVA_TOOL_OPTIONS in deploy/docker/proxy-runtime.Dockerfile"
  # shellcheck disable=SC2086  # the flags, JAVA_OPTS and PORTICO_ARGS are word lists
  taskset -c "$PROXY_CPU" "$JAVA_BIN" $IMAGE_JVM_FLAGS -XX:MaxRAM="$POD_MEMORY" -Dio.netty.eventLoopThreads="$WORKERS" $JAVA_OPTS $extra_flags \
    -jar "$dir/proxy-runtime.jar" --site "$dir/site.yaml" \
    --http-port "$http_port" ${tls_args[@]+"${tls_args[@]}"} --admin-port "$admin_port" --bind 127.0.0.1 $PORTICO_ARGS \
    >>"$dir/stdout.log" 2>"$dir/stderr.log" &
  pid=$!
  STARTED_PIDS+=("$pid")
  wait_ready "http://127.0.0.1:$admin_port/readyz" "$READY_TIMEOUT" "$pid" "$name" "$dir/stderr.log"
  PROXY_PID[$name]="$pid"
  PROXY_PORT[$name]="$http_port"
  PROXY_LOG[$name]="$dir/stdout.log"
  log "$name (Portico) up on 127.0.0.1:$http_port (pid $pid, cpu $PROXY_CPU, jar $jar)"
}

# The proxy must return the backend's body for the bench request, else the
# numbers would measure error pages.
sanity_check() {
  local name="$1" got
  got="$(curl -s --max-time 5 -H "Host: $HOST_HEADER" "http://127.0.0.1:${PROXY_PORT[$name]}/" || true)"
  [[ "$got" == "$BACKEND_BODY" ]] \
    || die "$name did not proxy GET / to the backend (got: ${got:0:200})"
  (( NEED_TLS )) || return 0
  local url="https://127.0.0.1:${PROXY_TLS_PORT[$name]}/" ver
  got="$(curl -sk --http1.1 --max-time 5 -H "Host: $HOST_HEADER" "$url" || true)"
  [[ "$got" == "$BACKEND_BODY" ]] \
    || die "$name did not proxy GET / over TLS + HTTP/1.1 (got: ${got:0:200})"
  got="$(curl -sk --http2 --max-time 5 -H "Host: $HOST_HEADER" -w '\n%{http_version}' "$url" || true)"
  ver="${got##*$'\n'}"; got="${got%$'\n'*}"
  [[ "$ver" == "2" && "$got" == "$BACKEND_BODY" ]] \
    || die "$name did not proxy GET / over TLS + HTTP/2 via ALPN (http version '$ver', got: ${got:0:200})"
  if (( NEED_GRPC )); then
    "$GRPC_BINARY" -probe "127.0.0.1:${PROXY_TLS_PORT[$name]}" -authority "$HOST_HEADER" -reply-bytes "$BODY_BYTES" \
      || die "$name did not proxy a gRPC unary call to the grpc backend"
  fi
  TLS_INFO[$name]="$(tls_probe "${PROXY_TLS_PORT[$name]}")"
  log "$name TLS: ${TLS_INFO[$name]}"
}

# ---------------------------------------------------------------------------
# Results: rows "scenario proxy round rps p50 p99 errors requests cpu% logged other% req/cpu-s tls-resumed"
# ---------------------------------------------------------------------------
declare -A PROXY_PID PROXY_PORT PROXY_LOG PROXY_TLS_PORT TLS_INFO JAR_SHA

record_round() { echo "$*" >>"$WORKDIR/rounds.txt"; }

# column_median SCENARIO PROXY FIELD: median of one column over the rounds.
column_median() {
  local values
  mapfile -t values < <(awk -v s="$1" -v n="$2" -v f="$3" '$1 == s && $2 == n { print $f }' "$WORKDIR/rounds.txt")
  median "${values[@]}"
}

# measure SCENARIO PROXY ROUND DURATION_S PARSER RUN_ARGS...
# Runs one bounded load run against PROXY and records it (ROUND "warmup" is
# run but not recorded). The access logs are emptied after each run.
measure() {
  local scenario="$1" name="$2" round="$3" dur="$4" parser="$5"; shift 5
  local out="$WORKDIR/$scenario-$name-$round.out" pid parsed rps p50 p99 errs reqs logged
  local before after cpu other
  pid="${PROXY_PID[$name]}"
  before="$(tick_snapshot "$pid")"
  run_load "$out" "$dur" "$@"
  after="$(tick_snapshot "$pid")"
  logged="$(wc -l <"${PROXY_LOG[$name]}")"
  # nginx logs $ssl_session_reused on its TLS listener: how many of the
  # requests came on a resumed session ("-" where we cannot tell: Portico,
  # or plain HTTP).
  local reused="-"
  if [[ "$name" == nginx ]] && grep -q '"tls_reused":' "${PROXY_LOG[$name]}"; then
    reused="$(grep -c '"tls_reused":"r"' "${PROXY_LOG[$name]}" || true)"
  fi
  : >"${PROXY_LOG[$name]}"
  kill -0 "${pid%% *}" 2>/dev/null || die "$name (pid $pid) died during the run"
  parsed="$($parser "$out")"
  read -r rps p50 p99 errs reqs <<<"$parsed"
  # proxy CPU, and CPU used by anything that is not ours, in % of one core.
  read -r cpu other < <(awk -v a="$before" -v b="$after" -v hz="$CLK_TCK" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    wall = y[1] - x[1]; if (wall <= 0) wall = 1
    proxy = y[3] - x[3]
    ours = proxy + (y[4] - x[4]) + (y[5] - x[5])
    foreign = (y[2] - x[2]) - ours; if (foreign < 0) foreign = 0
    printf "%.0f %.0f\n", proxy / hz / wall * 100, foreign / hz / wall * 100 }')
  if [[ "$round" == "warmup" ]]; then
    log "  $name warm-up: $rps req/s, p99 $p99 ms (not recorded)"
    return
  fi
  log "  $name round $round: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errs, proxy cpu $cpu%, other load $other%"
  (( errs == 0 )) || log "  WARNING: $name had $errs errors in round $round"
  (( other < NOISY_PCT )) || log "  WARNING: other processes used $other% of a core during round $round: noisy round"
  local eff
  eff="$(awk -v r="$rps" -v c="$cpu" 'BEGIN { if (r == "-" || c + 0 == 0) print "-"; else printf "%.0f\n", r / (c / 100) }')"
  record_round "$scenario $name $round $rps $p50 $p99 $errs $reqs $cpu $logged $other $eff $reused"
}

# ---------------------------------------------------------------------------
# Scenarios. Each is a function scenario_<name>; SCENARIOS picks them.
# Most only need a load function and run_scenario.
# ---------------------------------------------------------------------------

# run_scenario SCENARIO LOAD_FN: an unrecorded warm-up of every proxy, then
# ROUNDS rounds alternating the proxies. LOAD_FN PROXY ROUND SECONDS must run
# one bounded load through `measure`.
run_scenario() {
  local scenario="$1" load_fn="$2" warm dur name r
  warm="$(seconds_of "$WARMUP")"
  dur="$(seconds_of "$DURATION")"
  if (( warm > 0 )); then
    for name in "${PROXIES[@]}"; do
      log "$scenario: warm-up $name for ${warm}s"
      "$load_fn" "$name" warmup "$warm"
    done
  fi
  for r in $(seq 1 "$ROUNDS"); do
    for name in "${PROXIES[@]}"; do
      "$load_fn" "$name" "$r" "$dur"
    done
  done
}

# HTTP/1.1, CONNECTIONS keep-alive connections, wrk.
load_http1_keepalive() {
  local name="$1" round="$2" secs="$3"
  measure http1_keepalive "$name" "$round" "$secs" parse_wrk \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency \
    -H "Host: $HOST_HEADER" "http://127.0.0.1:${PROXY_PORT[$name]}/"
}
scenario_http1_keepalive() {
  LOAD_DESC[http1_keepalive]="wrk -t$THREADS -c$CONNECTIONS --latency, HTTP/1.1 keep-alive, plain HTTP"
  run_scenario http1_keepalive load_http1_keepalive
}

# HTTPS (wrk offers no ALPN: HTTP/1.1 over TLS), CONNECTIONS keep-alive
# connections: one handshake per connection, then record encryption only.
load_https_keepalive() {
  local name="$1" round="$2" secs="$3"
  measure https_keepalive "$name" "$round" "$secs" parse_wrk \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency \
    -H "Host: $HOST_HEADER" "https://127.0.0.1:${PROXY_TLS_PORT[$name]}/"
}
scenario_https_keepalive() {
  LOAD_DESC[https_keepalive]="wrk -t$THREADS -c$CONNECTIONS --latency, HTTP/1.1 keep-alive over TLS"
  run_scenario https_keepalive load_https_keepalive
}

# A new TLS connection per request: "Connection: close" makes both proxies
# close after the response and wrk reconnect, so this is handshakes/s. Whether
# wrk's reconnects resume the TLS session shows in the "TLS resumed" column
# (counted from nginx's $ssl_session_reused).
load_https_newconn() {
  local name="$1" round="$2" secs="$3"
  measure https_newconn "$name" "$round" "$secs" parse_wrk \
    wrk -t"$THREADS" -c"$NEWCONN_CONNECTIONS" -d"${secs}s" --latency \
    -H "Host: $HOST_HEADER" -H "Connection: close" "https://127.0.0.1:${PROXY_TLS_PORT[$name]}/"
}
scenario_https_newconn() {
  LOAD_DESC[https_newconn]="wrk -t$THREADS -c$NEWCONN_CONNECTIONS --latency -H 'Connection: close', one TLS handshake per request"
  run_scenario https_newconn load_https_newconn
}

# Full TLS handshakes: `openssl s_time -new` connects, handshakes without offering a session
# (so no proxy can resume one, whatever its cache or tickets), sends one GET, reads the answer
# until the proxy closes, one connection after another for SECONDS. s_time's request is
# "GET <page> HTTP/1.0" and nothing else; the page smuggles in the request https_newconn
# sends (HTTP/1.1, Host, Connection: close), so every proxy forwards the same ordinary
# request. The rate is the client's (one handshake at a time, on the load CPU), so the figure
# of merit is handshakes per proxy CPU-second. s_time gives no latencies, and its run time
# only in whole seconds: the wrapper in load_tls_handshake adds the exact wall time.
parse_s_time() {
  awk '
    BEGIN { n = "-"; wall = 0 }
    / connections in [0-9.]+ real seconds/ { n = $1 }
    /^wall / { wall = $3 - $2 }
    END { print (n == "-" || wall <= 0) ? "-" : sprintf("%.1f", n / wall), "-", "-", 0, n }' "$1"
}
load_tls_handshake() {
  local name="$1" round="$2" secs="$3"
  # s_time appends " HTTP/1.0\r\n\r\n": the last line becomes a harmless "X-Bench: HTTP/1.0".
  local page=$'/ HTTP/1.1\r\nHost: '"$HOST_HEADER"$'\r\nConnection: close\r\nX-Bench:'
  measure tls_handshake "$name" "$round" "$secs" parse_s_time \
    bash -c 'start=${EPOCHREALTIME/,/.}; openssl s_time "$@"; rc=$?; echo "wall $start ${EPOCHREALTIME/,/.}"; exit $rc' \
    s_time -connect "127.0.0.1:${PROXY_TLS_PORT[$name]}" -new -time "$secs" -www "$page"
}
scenario_tls_handshake() {
  LOAD_DESC[tls_handshake]="openssl s_time -new: one full TLS handshake (no session offered) and one HTTP/1.1 request with Connection: close per connection, one connection at a time"
  run_scenario tls_handshake load_tls_handshake
}

# HTTP/2 over TLS (ALPN h2), h2load: H2_CONNECTIONS connections with
# H2_STREAMS concurrent streams each. h2load prints no percentiles: p50/p99
# come from its per-request --log-file.
parse_h2load_logged() { parse_h2load "$1" "$1.log"; }
load_h2() {
  local name="$1" round="$2" secs="$3"
  measure h2 "$name" "$round" "$secs" parse_h2load_logged \
    h2load -t1 -c"$H2_CONNECTIONS" -m"$H2_STREAMS" -D"$secs" \
    --log-file="$WORKDIR/h2-$name-$round.out.log" \
    -H ":authority: $HOST_HEADER" "https://127.0.0.1:${PROXY_TLS_PORT[$name]}/"
}
scenario_h2() {
  LOAD_DESC[h2]="h2load -t1 -c$H2_CONNECTIONS -m$H2_STREAMS, HTTP/2 over TLS (ALPN h2)"
  run_scenario h2 load_h2
}

# The same at fixed, higher concurrency: 64 and 256 connections of 10 streams each. Issue 15
# found Portico's h2 throughput falling as streams grow while nginx and HAProxy held.
load_h2_at() {
  local scenario="$1" connections="$2" name="$3" round="$4" secs="$5"
  measure "$scenario" "$name" "$round" "$secs" parse_h2load_logged \
    h2load -t1 -c"$connections" -m10 -D"$secs" \
    --log-file="$WORKDIR/$scenario-$name-$round.out.log" \
    -H ":authority: $HOST_HEADER" "https://127.0.0.1:${PROXY_TLS_PORT[$name]}/"
}
load_h2_c64() { load_h2_at h2_c64 64 "$@"; }
load_h2_c256() { load_h2_at h2_c256 256 "$@"; }
scenario_h2_c64() {
  LOAD_DESC[h2_c64]="h2load -t1 -c64 -m10, HTTP/2 over TLS (ALPN h2)"
  run_scenario h2_c64 load_h2_c64
}
scenario_h2_c256() {
  LOAD_DESC[h2_c256]="h2load -t1 -c256 -m10, HTTP/2 over TLS (ALPN h2): the stress point, for a cliff"
  run_scenario h2_c256 load_h2_c256
}

# gRPC unary calls over TLS + HTTP/2 (issue 14): GRPC_CONNECTIONS connections of H2_STREAMS
# streams, each call one small message each way, to a grpc-go backend over h2c. h2load counts
# HTTP statuses only; the probe at start-up checked that a real gRPC client gets status OK.
load_grpc() {
  local name="$1" round="$2" secs="$3"
  measure grpc "$name" "$round" "$secs" parse_h2load_logged \
    h2load -t1 -c"$GRPC_CONNECTIONS" -m"$H2_STREAMS" -D"$secs" \
    --log-file="$WORKDIR/grpc-$name-$round.out.log" \
    -d "$WORKDIR/grpc-request.bin" -H "content-type: application/grpc" -H "te: trailers" \
    -H ":authority: $HOST_HEADER" "https://127.0.0.1:${PROXY_TLS_PORT[$name]}$GRPC_PATH"
}
scenario_grpc() {
  LOAD_DESC[grpc]="h2load -t1 -c$GRPC_CONNECTIONS -m$H2_STREAMS, gRPC unary over TLS (ALPN h2) to an h2c grpc-go backend"
  run_scenario grpc load_grpc
}

# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
verdict() {  # verdict VALUE OP TARGET -> PASS / MISS / n/a
  [[ "$1" == "-" ]] && { echo "n/a"; return; }
  awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
    ok = (op == ">=") ? (v >= t) : (v <= t); print ok ? "PASS" : "MISS" }'
}

fmt_num() { [[ "$1" == "-" || -z "$1" ]] && { echo "-"; return; }; printf "%.${2}f" "$1"; }  # fmt_num VALUE DECIMALS

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {
  if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }

report() {
  local md="$WORKDIR/report.md" scenario name
  local -A RPS P50 P99 RSS ERR CPU OTHER EFF
  for name in "${PROXIES[@]}"; do
    RSS[$name]="$(peak_rss_mib "${PROXY_PID[$name]}")"
  done
  {
    echo "# Portico vs nginx and HAProxy — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "- machine: $(nproc) CPUs, $(uname -r); proxy on CPU $PROXY_CPU, backend + load on CPU $LOAD_CPU"
    echo "- rounds: ${ROUNDS} x $(seconds_of "$DURATION")s per proxy per scenario, alternating, after $(seconds_of "$WARMUP")s warm-up each; medians shown"
    echo "- nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'), worker_processes $WORKERS, upstream keepalive 64, JSON access log to a file"
    [[ -z "${PROXY_PID[haproxy]:-}" ]] || echo "- HAProxy: $(haproxy -v 2>/dev/null | head -n1 | awk '{ print $3 }'), nbthread $WORKERS, http-reuse safe, JSON log line to stdout (a file)"
    if [[ -n "${PROXY_PID[portico]:-}" ]]; then
      local flags
      flags="$(echo "$IMAGE_JVM_FLAGS" -XX:MaxRAM="$POD_MEMORY" -Dio.netty.eventLoopThreads="$WORKERS" "$JAVA_OPTS" "$PORTICO_ARGS" | xargs)"
      local loops
      loops="$(grep -m1 -i 'event loop' "$WORKDIR/portico/stderr.log" "$WORKDIR/portico/stdout.log" 2>/dev/null | sed 's/^[^:]*://' || true)"
      [[ -z "$loops" ]] || echo "- Portico startup says: \`${loops}\`"
      echo "- Portico: $PORTICO_JAR (sha256 ${JAR_SHA[portico]}, copied at start), $("$JAVA_BIN" -version 2>&1 | head -n1), $flags, stdout access log to a file"
      [[ -z "${PROXY_PID[baseline]:-}" ]] || echo "- baseline: $BASELINE_JAR (sha256 ${JAR_SHA[baseline]}, copied at start), the same JVM and flags${BASELINE_JAVA_OPTS:+ then $BASELINE_JAVA_OPTS}"
    fi
    echo "- peak RSS: VmHWM of the nginx worker / the HAProxy process / the Portico JVM, over the whole run (all scenarios)"
    if (( NEED_TLS )); then
      echo "- TLS: one self-signed $TLS_KEY_DESC certificate for both proxies; nginx: ssl_protocols TLSv1.2 TLSv1.3, ssl_session_cache shared:SSL:10m, listen ... ssl http2"
      for name in "${PROXIES[@]}"; do
        echo "- TLS $name (openssl s_client probe): ${TLS_INFO[$name]:-?}"
      done
    fi
  } >"$md"
  for scenario in "${SCENARIO_LIST[@]}"; do
    for name in "${PROXIES[@]}"; do
      RPS[$name]="$(column_median "$scenario" "$name" 4)"
      P50[$name]="$(column_median "$scenario" "$name" 5)"
      P99[$name]="$(column_median "$scenario" "$name" 6)"
      CPU[$name]="$(column_median "$scenario" "$name" 9)"
      OTHER[$name]="$(column_median "$scenario" "$name" 11)"
      EFF[$name]="$(column_median "$scenario" "$name" 12)"
      ERR[$name]="$(awk -v s="$scenario" -v n="$name" '$1 == s && $2 == n { e += $7 } END { print e + 0 }' "$WORKDIR/rounds.txt")"
    done
    local noisy="" tag=""
    for name in "${PROXIES[@]}"; do
      if awk -v o="${OTHER[$name]}" -v t="$NOISY_PCT" 'BEGIN { exit !(o != "-" && o + 0 >= t) }'; then
        noisy+=" $name"
      fi
    done
    [[ -z "$noisy" ]] || tag=" (noisy run)"
    {
      echo
      echo "## $scenario"
      echo
      echo "load: ${LOAD_DESC[$scenario]:-?}"
      echo
      echo "| proxy | req/s | p50 ms | p99 ms | peak RSS MiB | proxy CPU % | req per proxy CPU-s | errors | other load % |"
      echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
      for name in "${PROXIES[@]}"; do
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" \
          "$(fmt_num "${RPS[$name]}" 0)" "$(fmt_num "${P50[$name]}" 3)" "$(fmt_num "${P99[$name]}" 3)" "${RSS[$name]}" \
          "$(fmt_num "${CPU[$name]}" 0)" "$(fmt_num "${EFF[$name]}" 0)" "${ERR[$name]}" "$(fmt_num "${OTHER[$name]}" 0)"
      done
      echo
      # The best peer: the highest req/s, and separately the lowest p99, of nginx and HAProxy.
      local best_rps="" best_p99="" rps_peer="" p99_peer="" peer
      for peer in nginx haproxy; do
        [[ -n "${RPS[$peer]:-}" ]] || continue
        if [[ -z "$best_rps" ]] || awk -v a="${RPS[$peer]}" -v b="$best_rps" 'BEGIN { exit !(a > b) }'; then
          best_rps="${RPS[$peer]}"; rps_peer="$peer"
        fi
        if [[ -z "$best_p99" ]] || awk -v a="${P99[$peer]}" -v b="$best_p99" 'BEGIN { exit !(a < b) }'; then
          best_p99="${P99[$peer]}"; p99_peer="$peer"
        fi
      done
      if [[ -n "${RPS[portico]:-}" && -n "$best_rps" ]]; then
        local rr pr
        rr="$(ratio "${RPS[portico]}" "$best_rps")"
        pr="$(ratio "${P99[portico]}" "$best_p99")"
        echo "| ratio Portico / best peer | value | target | verdict |"
        echo "|---|---:|---:|---|"
        local rt="${RPS_TARGET[$scenario]:--}" pt="${P99_TARGET[$scenario]:--}"
        if [[ "$rt" == "-" ]]; then echo "| req/s (vs $rps_peer) | $rr | (info) | |"
        else echo "| req/s (vs $rps_peer) | $rr | >= $rt | $(verdict "$rr" '>=' "$rt")$tag |"; fi
        if [[ "$pt" == "-" ]]; then echo "| p99 latency (vs $p99_peer) | $pr | (info) | |"
        else echo "| p99 latency (vs $p99_peer) | $pr | <= $pt | $(verdict "$pr" '<=' "$pt")$tag |"; fi
        local et="${EFF_TARGET[$scenario]:-}"
        if [[ -n "$et" && -n "${EFF[nginx]:-}" ]]; then
          local er
          er="$(ratio "${EFF[portico]}" "${EFF[nginx]}")"
          echo "| work per proxy CPU-second (vs nginx) | $er | >= $et | $(verdict "$er" '>=' "$et")$tag |"
        fi
        for peer in nginx haproxy; do
          [[ -n "${RPS[$peer]:-}" ]] || continue
          echo "| req/s, p99 and req per CPU-second vs $peer | $(ratio "${RPS[portico]}" "${RPS[$peer]}"), $(ratio "${P99[portico]}" "${P99[$peer]}"), $(ratio "${EFF[portico]}" "${EFF[$peer]}") | (info) | |"
        done
        local errors=0
        for name in "${PROXIES[@]}"; do errors=$(( errors + ERR[$name] )); done
        if (( errors > 0 )); then
          echo
          echo "**Errors were seen: the ratios above are not trustworthy.**"
        fi
      elif [[ -z "${RPS[baseline]:-}" ]]; then
        echo "(ratios need Portico and a peer; this run had ONLY=$ONLY)"
      fi
      if [[ -n "${RPS[portico]:-}" && -n "${RPS[baseline]:-}" ]]; then
        # A change measured against the jar before it, in the same run (issue 13: the policy
        # pipeline must cost nothing measurable when no policy is configured).
        local br
        br="$(ratio "${RPS[portico]}" "${RPS[baseline]}")"
        echo
        echo "| ratio Portico / baseline | value | target | verdict |"
        echo "|---|---:|---:|---|"
        echo "| req/s | $br | >= $BASELINE_TARGET | $(verdict "$br" '>=' "$BASELINE_TARGET")$tag |"
        echo "| p99 latency, req per CPU-second | $(ratio "${P99[portico]}" "${P99[baseline]}"), $(ratio "${EFF[portico]}" "${EFF[baseline]}") | (info) | |"
      fi
      if [[ -n "$noisy" ]]; then
        echo
        echo "**Noisy run:** in half or more of the rounds of${noisy}, other processes used >= $NOISY_PCT % of a core;" \
             "these numbers are not worth keeping: re-run on a quiet machine."
      fi
      echo
      echo "<details><summary>rounds</summary>"
      echo
      echo "| proxy | round | req/s | p50 ms | p99 ms | errors | requests | proxy CPU % | access-log lines | other load % | req per proxy CPU-s | TLS resumed (nginx log) |"
      echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      awk -v s="$scenario" '$1 == s { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }' \
        "$WORKDIR/rounds.txt"
      echo
      echo "</details>"
    } >>"$md"
  done
  mkdir -p "$(dirname "$RESULTS_FILE")"
  cp "$md" "$RESULTS_FILE"
  echo
  cat "$md"
  echo
  log "results written to $RESULTS_FILE"
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
main() {
  if [[ -z "$ONLY" ]]; then
    PROXIES=(portico nginx haproxy)
    [[ -z "$BASELINE_JAR" ]] || PROXIES+=(baseline)
  else
    read -r -a PROXIES <<<"${ONLY//,/ }"
    local p
    for p in "${PROXIES[@]}"; do
      [[ " portico nginx haproxy baseline " == *" $p "* ]] || die "ONLY lists portico, nginx, haproxy or baseline (got '$p')"
    done
  fi
  if [[ " ${PROXIES[*]} " == *" baseline "* ]]; then
    [[ -n "$BASELINE_JAR" && -f "$BASELINE_JAR" ]] || die "baseline needs BASELINE_JAR, an existing jar (got '$BASELINE_JAR')"
  fi
  read -r -a SCENARIO_LIST <<<"${SCENARIOS//,/ }"
  local s
  for s in "${SCENARIO_LIST[@]}"; do
    declare -F "scenario_$s" >/dev/null || die "unknown scenario '$s'"
  done
  for s in "${SCENARIO_LIST[@]}"; do
    [[ "$TLS_SCENARIOS" != *" $s "* ]] || NEED_TLS=1
    [[ "$s" != grpc ]] || NEED_GRPC=1
  done
  [[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
  [[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "WORKERS must be a positive integer"
  seconds_of "$DURATION" >/dev/null
  seconds_of "$WARMUP" >/dev/null

  ensure_tools
  local cpu
  for cpu in "$PROXY_CPU" "$LOAD_CPU"; do
    taskset -c "$cpu" true 2>/dev/null || die "cannot pin to CPU list '$cpu' (this machine has $(nproc) CPUs; set PROXY_CPU/LOAD_CPU)"
  done
  [[ "$PROXY_CPU" != "$LOAD_CPU" ]] || log "WARNING: PROXY_CPU and LOAD_CPU are the same: the proxy competes with its load"
  if [[ " ${PROXIES[*]} " == *" portico "* ]]; then ensure_jar; fi

  local ports=("$BACKEND_PORT")
  (( NEED_GRPC )) && ports+=("$GRPC_BACKEND_PORT")
  [[ " ${PROXIES[*]} " == *" nginx "* ]] && ports+=("$NGINX_PORT")
  [[ " ${PROXIES[*]} " == *" portico "* ]] && ports+=("$PORTICO_PORT" "$ADMIN_PORT")
  [[ " ${PROXIES[*]} " == *" haproxy "* ]] && ports+=("$HAPROXY_PORT")
  [[ " ${PROXIES[*]} " == *" baseline "* ]] && ports+=("$BASELINE_PORT" "$BASELINE_ADMIN_PORT")
  if (( NEED_TLS )); then
    command -v openssl >/dev/null 2>&1 || die "openssl is needed for the TLS scenarios (apt-get install openssl)"
    [[ " ${PROXIES[*]} " == *" nginx "* ]] && ports+=("$NGINX_TLS_PORT")
    [[ " ${PROXIES[*]} " == *" portico "* ]] && ports+=("$PORTICO_TLS_PORT")
    [[ " ${PROXIES[*]} " == *" haproxy "* ]] && ports+=("$HAPROXY_TLS_PORT")
    [[ " ${PROXIES[*]} " == *" baseline "* ]] && ports+=("$BASELINE_TLS_PORT")
  fi
  check_ports "${ports[@]}"

  WORKDIR="$(mktemp -d /tmp/portico-bench.XXXXXX)"
  chmod 755 "$WORKDIR"   # nginx workers may run as an unprivileged user
  : >"$WORKDIR/rounds.txt"
  log "work dir $WORKDIR; proxies: ${PROXIES[*]}; scenarios: ${SCENARIO_LIST[*]}"

  (( NEED_TLS )) && make_cert
  start_backend
  (( NEED_GRPC )) && start_grpc_backend
  local name
  for name in "${PROXIES[@]}"; do
    "start_proxy_$name"
    sanity_check "$name"
  done

  for s in "${SCENARIO_LIST[@]}"; do
    log "scenario $s"
    "scenario_$s"
  done
  report
}

main "$@"
