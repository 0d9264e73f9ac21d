#!/usr/bin/env bash
# TLS conformance: testssl.sh (Debian package testssl.sh) against the runtime's TLS
# listener with the project's default TLS settings (ProxySite tls with only a
# certificate: minVersion 1.2, http2 on). Fails on
#   - any finding of severity HIGH or CRITICAL, except the ones in CERT_EXCEPTIONS below,
#     which come from the throwaway test certificate and not from the runtime;
#   - any protocol below TLS 1.2 offered, any non-AEAD (CBC) cipher suite offered, or
#     client-initiated renegotiation accepted (checked explicitly, whatever their severity).
#
# Knobs (environment): TESTSSL_TIMEOUT (seconds for the whole scan, default 600), plus
# start-runtime.sh's.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=start-runtime.sh
source "$SCRIPT_DIR/start-runtime.sh"
cd "$RT_REPO_ROOT"

# testssl.sh finding ids allowed at HIGH/CRITICAL, each because of the test certificate:
CERT_EXCEPTIONS=(
  # The throwaway certificate names no CRL distribution point and no OCSP responder
  # (there is no CA infrastructure behind it). Real certificates come from the user's CA.
  "cert_revocation"
)

if ! command -v testssl >/dev/null 2>&1; then
  rt_log "installing testssl.sh (apt)"
  sudo_cmd=""
  [[ "$(id -u)" -eq 0 ]] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends testssl.sh
fi

OUT_DIR="$RT_REPO_ROOT/target/conformance"
mkdir -p "$OUT_DIR"
start_runtime

json="$OUT_DIR/testssl.json"
log="$OUT_DIR/testssl.log"
rm -f "$json"
rt_log "testssl.sh against https://localhost:$RT_HTTPS_PORT"
started=$SECONDS
set +e
# --add-ca: trust the throwaway CA, so the chain of trust is checked for real.
# --ip one: localhost only on 127.0.0.1 (no ::1 listener). Every check runs (no --fast).
timeout "${TESTSSL_TIMEOUT:-600}" testssl --quiet --color 0 --warnings off --ip one \
  --add-ca "$RT_DIR/ca.crt" --jsonfile "$json" "https://localhost:$RT_HTTPS_PORT" > "$log" 2>&1
rc=$?
set -e
elapsed=$(( SECONDS - started ))
if [[ $rc -eq 124 || ! -s "$json" ]]; then
  rt_log "testssl.sh did not finish (exit $rc after ${elapsed}s); its output:"
  cat "$log"
  exit 1
fi

python3 - "$json" "$elapsed" "${CERT_EXCEPTIONS[@]}" <<'EOF'
import json, re, sys
from collections import Counter

findings = json.load(open(sys.argv[1]))
elapsed = sys.argv[2]
exceptions = set(sys.argv[3:])
by_id = {f["id"]: f for f in findings}
problems = []
groups = set()
def problem(group, text):
    groups.add(group)
    problems.append(text)

# 1. Severity HIGH or CRITICAL, less the test certificate's.
for f in findings:
    if f["severity"] in ("HIGH", "CRITICAL"):
        if f["id"] in exceptions:
            print(f'testssl: excepted (test certificate) {f["severity"]} {f["id"]}: {f["finding"]}')
        else:
            problem("severity", f'{f["severity"]} {f["id"]}: {f["finding"]}')

# 2. Nothing below TLS 1.2.
for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
    f = by_id.get(proto)
    if f is None or not f["finding"].startswith("not offered"):
        problem("protocols", f'{proto} offered or not tested: {f and f["finding"]}')
protocols = [p for p in ("TLS1_2", "TLS1_3") if by_id.get(p, {}).get("finding", "").startswith("offered")]

# 3. AEAD suites only (no CBC, no RC4/3DES/NULL): every cipher_x... the server accepted.
ciphers = [f["finding"].split()[1] for f in findings if re.fullmatch(r"cipher_x[0-9a-f]+", f["id"])]
for name in ciphers:
    if not re.search(r"GCM|CHACHA20|CCM", name) or "CBC" in name:
        problem("ciphers", f"non-AEAD cipher suite offered: {name}")
if not ciphers:
    problem("ciphers", "no cipher suite list in the report")

# 4. No client-initiated renegotiation (the secure-renegotiation extension is fine).
renego = by_id.get("secure_client_renego")
if renego is None or renego["severity"] not in ("OK", "INFO"):
    problem("renegotiation", f'client-initiated renegotiation: {renego and renego["finding"]}')

counts = Counter(f["severity"] for f in findings)
print(f"testssl: protocols {' '.join(protocols)}; cipher suites {' '.join(ciphers)}")
print("testssl: findings by severity: " + ", ".join(
    f"{s} {counts.get(s, 0)}" for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "WARN", "INFO", "OK")))
for f in findings:
    if f["severity"] in ("MEDIUM", "LOW", "WARN"):
        print(f'testssl: {f["severity"]} {f["id"]}: {f["finding"]}')
print(f"testssl: scan took {elapsed}s; report {sys.argv[1]}")
failed = sum(1 for name in ("severity", "protocols", "ciphers", "renegotiation") if name in groups)
print(f"testssl: {4 - failed} passed, {failed} failed")
if problems:
    for p in problems:
        print("testssl: FAIL " + p)
    sys.exit(1)
print("testssl: OK")
EOF
