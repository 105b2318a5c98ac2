#!/usr/bin/env bash
# Start a real etcd + kube-apiserver (v1.20, from scripts/real-kube/build.sh) bound to 127.0.0.1 only,
# with all state in a fresh temp dir. Prints the kubeconfig path as the last line of stdout;
# the state dir is the kubeconfig's directory (give it to stop.sh).
#
#   scripts/real-kube/start.sh [BIN_DIR]     (default: the cached build, see build.sh)
#
# The kubeconfig authenticates with an admin client certificate (group system:masters); kubeconfig-token
# beside it uses a static bearer token instead. Logs: <state dir>/logs/. No controller-manager, scheduler
# or kubelet runs: pods never start, namespaces stay Terminating after delete.
# etcd is compacted every BUTLER_REAL_KUBE_COMPACTION (default 3s) instead of 5m so that expired
# continue tokens and compacted revisions can be provoked in seconds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="${1:-${BUTLER_REAL_KUBE_CACHE:-/var/cache/butler-real-kube}/1.20/bin}"
ETCD="$(command -v etcd || true)"
HOST=127.0.0.1
log() { echo "[real-kube start] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -x "$BIN/kube-apiserver" ] || die "no kube-apiserver in $BIN (run scripts/real-kube/build.sh)"
[ -n "$ETCD" ] || die "no etcd (apt-get install etcd-server)"
command -v openssl >/dev/null || die "openssl missing"
command -v curl >/dev/null || die "curl missing"
command -v node >/dev/null || die "node missing"

DIR="$(mktemp -d /tmp/butler-real-kube.XXXXXX)"
chmod 700 "$DIR"
mkdir -p "$DIR/pki" "$DIR/logs" "$DIR/etcd"
PKI="$DIR/pki"
started_ok=
cleanup_on_failure() { [ -n "$started_ok" ] || "$HERE/stop.sh" "$DIR" >&2 || true; }
trap cleanup_on_failure EXIT

# Three free loopback ports (etcd client, etcd peer, apiserver), chosen by the kernel.
read -r ETCD_PORT ETCD_PEER_PORT API_PORT < <(node -e '
  const net = require("node:net");
  const take = () => new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => ok(s)); });
  Promise.all([take(), take(), take()]).then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });
')

(
  cd "$PKI"
  openssl genrsa -out ca.key 2048 2>/dev/null
  openssl req -x509 -new -nodes -key ca.key -sha256 -days 30 -subj "/CN=butler-real-kube-ca" -out ca.crt 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >serving.ext
  openssl genrsa -out apiserver.key 2048 2>/dev/null
  openssl req -new -key apiserver.key -subj "/CN=kube-apiserver" -out apiserver.csr 2>/dev/null
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile serving.ext -out apiserver.crt 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >client.ext
  openssl genrsa -out admin.key 2048 2>/dev/null
  openssl req -new -key admin.key -subj "/O=system:masters/CN=admin" -out admin.csr 2>/dev/null
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -sha256 -extfile client.ext -out admin.crt 2>/dev/null
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  echo "$(openssl rand -hex 24),admin,admin-uid,system:masters" >tokens.csv
  chmod 600 ./*.key tokens.csv
)
TOKEN="$(cut -d, -f1 "$PKI/tokens.csv")"

wait_for() { # timeout_s cmd...
  local end=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.3
  done
}
start_bg() { # name cmd...
  local name="$1"
  shift
  setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
}

start_bg etcd "$ETCD" \
  --name butler-real-kube \
  --data-dir "$DIR/etcd" \
  --listen-client-urls "http://$HOST:$ETCD_PORT" \
  --advertise-client-urls "http://$HOST:$ETCD_PORT" \
  --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
  --initial-cluster "butler-real-kube=http://$HOST:$ETCD_PEER_PORT" \
  --initial-cluster-state new \
  --enable-v2=false
wait_for 30 curl -fsS "http://$HOST:$ETCD_PORT/health" || {
  tail -20 "$DIR/logs/etcd.log" >&2
  die "etcd did not become healthy"
}
log "etcd up on $HOST:$ETCD_PORT"

start_bg kube-apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://$HOST:$ETCD_PORT" \
  --etcd-compaction-interval="${BUTLER_REAL_KUBE_COMPACTION:-3s}" \
  --bind-address=$HOST \
  --advertise-address=$HOST \
  --secure-port="$API_PORT" \
  --insecure-port=0 \
  --cert-dir="$PKI" \
  --tls-cert-file="$PKI/apiserver.crt" \
  --tls-private-key-file="$PKI/apiserver.key" \
  --client-ca-file="$PKI/ca.crt" \
  --token-auth-file="$PKI/tokens.csv" \
  --authorization-mode=Node,RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/sa.pub" \
  --service-account-signing-key-file="$PKI/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --endpoint-reconciler-type=none \
  --profiling=false \
  --v=1
wait_for 90 curl -fsS --cacert "$PKI/ca.crt" -H "Authorization: Bearer $TOKEN" "https://$HOST:$API_PORT/readyz" || {
  tail -30 "$DIR/logs/kube-apiserver.log" >&2
  die "kube-apiserver not ready"
}
log "kube-apiserver $("$BIN/kube-apiserver" --version) ready on https://$HOST:$API_PORT (state in $DIR)"

b64() { base64 -w0 <"$1"; }
write_kubeconfig() { # file user-yaml
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: real-kube
  cluster:
    server: https://$HOST:$API_PORT
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: admin
  user:
$2
contexts:
- name: real-kube
  context: {cluster: real-kube, user: admin, namespace: default}
current-context: real-kube
KC
  chmod 600 "$1"
}
write_kubeconfig "$DIR/kubeconfig" "    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")"
write_kubeconfig "$DIR/kubeconfig-token" "    token: $TOKEN"
started_ok=1
echo "$DIR/kubeconfig"
