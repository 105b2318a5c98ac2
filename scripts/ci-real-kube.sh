#!/usr/bin/env bash
# Runs the simulator's conformance suite (sim/conformance/conformance.test.ts) against a REAL kube-apiserver
# v1.20 built from Debian's source package (cached outside the repository, see scripts/real-kube/build.sh),
# then prints which assertions were skipped on the real server and why. Exits with the tests' status.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
log() { echo "[ci-real-kube] $*" >&2; }
T0=$(date +%s)

need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
if ! scripts/real-kube/build.sh --cached >/dev/null 2>&1; then
  [ -x /usr/lib/go-1.19/bin/go ] || need+=(golang-1.19-go)
  command -v rsync >/dev/null || need+=(rsync)
  command -v make >/dev/null || need+=(make)
  [ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ] || need+=(golang-github-modern-go-reflect2-dev)
fi
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

BIN="$(nice -n 10 scripts/real-kube/build.sh | tail -1)"
KUBECONFIG_PATH="$(scripts/real-kube/start.sh "$BIN" | tail -1)"
OUT="$(mktemp -d /tmp/butler-ci-real-kube-out.XXXXXX)"
cleanup() {
  scripts/real-kube/stop.sh "$KUBECONFIG_PATH" || true
  rm -rf "$OUT"
}
trap cleanup EXIT

log "running the conformance suite against the real kube-apiserver"
status=0
BUTLER_CONFORMANCE_KUBECONFIG="$KUBECONFIG_PATH" node --import tsx --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$OUT/tap" \
  sim/conformance/conformance.test.ts || status=$?

echo "[ci-real-kube] assertions skipped on the real kube-apiserver:"
if grep -E '^ *(not )?ok [0-9]+ - .* # SKIP' "$OUT/tap" | sed -E 's/^ *(not )?ok [0-9]+ - /  - /'; then :; else echo "  (none)"; fi
log "finished with status $status after $(($(date +%s) - T0)) s"
exit "$status"
