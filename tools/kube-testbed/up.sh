#!/usr/bin/env bash
# Starts a real Kubernetes control plane on loopback: etcd, kube-apiserver and
# kube-controller-manager (garbage collector, Deployment, ReplicaSet, namespace, ServiceAccount
# and EndpointSlice controllers), with fresh PKI and, on top of the default admission plugins,
# OwnerReferencesPermissionEnforcement (on in OpenShift and hardened clusters: the operator's
# owner references must pass it). No scheduler, no kubelet: the tests play
# the kubelet. Returns once the API server is ready and namespace default exists, leaving the
# processes running; tools/kube-testbed/down.sh DIR stops them.
#
#   tools/kube-testbed/up.sh [DIR]      DIR defaults to /tmp/portico-testbed
#   export KUBECONFIG=DIR/kubeconfig    then kubectl, or java -jar operator/target/operator.jar
#
# Binaries come from build.sh (built once per machine, cached). Everything listens on
# 127.0.0.1 only, on ports picked free at start.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-${PORTICO_TESTBED_DIR:-/tmp/portico-testbed}}"
bin="$("$here/build.sh")"

"$here/down.sh" "$dir" >/dev/null 2>&1 || true
rm -rf "$dir"
mkdir -p "$dir/pki" "$dir/etcd" "$dir/logs"
dir="$(cd "$dir" && pwd)"
pki="$dir/pki"

free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
read -r etcd_port etcd_peer_port api_port <<<"$(free_ports 3)"

# ---- PKI: a CA, the API server's serving certificate, an admin client, the ServiceAccount key pair
quiet() { "$@" >/dev/null 2>&1 || { echo "up.sh: failed: $*" >&2; exit 1; }; }
quiet openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=portico-testbed-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
cat > "$pki/apiserver.ext" <<EXT
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
EXT
quiet openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr"
quiet openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
  -extfile "$pki/apiserver.ext" -out "$pki/apiserver.crt"
echo "extendedKeyUsage=clientAuth" > "$pki/client.ext"
quiet openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=portico-testbed-admin" \
  -keyout "$pki/admin.key" -out "$pki/admin.csr"
quiet openssl x509 -req -in "$pki/admin.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 30 \
  -extfile "$pki/client.ext" -out "$pki/admin.crt"
quiet openssl genrsa -out "$pki/sa.key" 2048
quiet openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

server="https://127.0.0.1:${api_port}"
"$bin/kubectl" config set-cluster testbed --kubeconfig="$dir/kubeconfig" --server="$server" \
  --certificate-authority="$pki/ca.crt" --embed-certs >/dev/null
"$bin/kubectl" config set-credentials admin --kubeconfig="$dir/kubeconfig" \
  --client-certificate="$pki/admin.crt" --client-key="$pki/admin.key" --embed-certs >/dev/null
"$bin/kubectl" config set-context testbed --kubeconfig="$dir/kubeconfig" --cluster=testbed --user=admin >/dev/null
"$bin/kubectl" config use-context testbed --kubeconfig="$dir/kubeconfig" >/dev/null

start() {
  local name="$1"; shift
  # setsid: the control plane outlives the shell that started it, and down.sh stops it by pid.
  setsid "$@" >"$dir/logs/$name.log" 2>&1 < /dev/null &
  echo "$!" > "$dir/$name.pid"
}

start etcd "$bin/etcd" --name testbed --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:${etcd_port}" --advertise-client-urls "http://127.0.0.1:${etcd_port}" \
  --listen-peer-urls "http://127.0.0.1:${etcd_peer_port}" --initial-advertise-peer-urls "http://127.0.0.1:${etcd_peer_port}" \
  --initial-cluster "testbed=http://127.0.0.1:${etcd_peer_port}" --unsafe-no-fsync --log-level warn

start kube-apiserver "$bin/kube-apiserver" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --etcd-servers="http://127.0.0.1:${etcd_port}" \
  --cert-dir="$dir/apiserver" --client-ca-file="$pki/ca.crt" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-cluster-ip-range=10.0.0.0/16 --authorization-mode=RBAC \
  --endpoint-reconciler-type=none --max-requests-inflight=1000 --max-mutating-requests-inflight=500 \
  --enable-admission-plugins=OwnerReferencesPermissionEnforcement \
  --profiling=false

until curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$server/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$(cat "$dir/kube-apiserver.pid")" 2>/dev/null; then
    echo "up.sh: kube-apiserver exited; its log:" >&2; tail -30 "$dir/logs/kube-apiserver.log" >&2; exit 1
  fi
  sleep 0.5
done

start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$dir/kubeconfig" --authentication-kubeconfig="$dir/kubeconfig" --authorization-kubeconfig="$dir/kubeconfig" \
  --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --controllers=garbage-collector-controller,deployment-controller,replicaset-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,clusterrole-aggregation-controller,root-ca-certificate-publisher-controller,endpointslice-controller,disruption-controller \
  --concurrent-deployment-syncs=10 --concurrent-replicaset-syncs=10 --concurrent-gc-syncs=20 --profiling=false

for _ in $(seq 1 120); do
  "$bin/kubectl" --kubeconfig="$dir/kubeconfig" get namespace default >/dev/null 2>&1 && break
  sleep 0.5
done
"$bin/kubectl" --kubeconfig="$dir/kubeconfig" get namespace default >/dev/null

echo "$bin" > "$dir/bin-dir"
echo "$dir/kubeconfig"
