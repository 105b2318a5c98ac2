#!/usr/bin/env bash
# Build a real kube-apiserver v1.20 from Debian's `kubernetes` source package with Debian's Go 1.19,
# and cache the binary outside the repository so a machine that built it once skips the build.
#
#   scripts/real-kube/build.sh           # prints the directory holding kube-apiserver (last line of stdout)
#   scripts/real-kube/build.sh --cached  # only checks the cache: prints the directory and exits 0, or exits 1
#
# Env: BUTLER_REAL_KUBE_CACHE  cache root (default /var/cache/butler-real-kube); the binary lands in
#      $BUTLER_REAL_KUBE_CACHE/1.20/bin, the source tree and Go build cache in $BUTLER_REAL_KUBE_CACHE/1.20/work.
#      BUTLER_REAL_KUBE_REBUILD=1  build even when a cached binary exists.
#      BUTLER_REAL_KUBE_KEEP_WORK=1  keep the extracted tree and Go build cache (~2 GB) after a build; by
#      default only the source tarball is kept.
# Needs root for apt-get (installs golang-1.19-go, rsync, make, golang-github-modern-go-reflect2-dev when missing).
set -euo pipefail
CACHE="${BUTLER_REAL_KUBE_CACHE:-/var/cache/butler-real-kube}/1.20"
BIN="$CACHE/bin"
WORK="$CACHE/work"
log() { echo "[real-kube build] $*" >&2; }

if [ -z "${BUTLER_REAL_KUBE_REBUILD:-}" ] && [ -x "$BIN/kube-apiserver" ] \
  && "$BIN/kube-apiserver" --version 2>/dev/null | grep -q '^Kubernetes v1\.20\.'; then
  log "cached: $("$BIN/kube-apiserver" --version) in $BIN"
  echo "$BIN"
  exit 0
fi
[ "${1:-}" != "--cached" ] || exit 1

export DEBIAN_FRONTEND=noninteractive
need=()
[ -x /usr/lib/go-1.19/bin/go ] || need+=(golang-1.19-go)
command -v rsync >/dev/null || need+=(rsync)
command -v make >/dev/null || need+=(make)
[ -d /usr/share/gocode/src/github.com/modern-go/reflect2 ] || need+=(golang-github-modern-go-reflect2-dev)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p "$BIN" "$WORK"
# deb-src entries derived from the machine's own deb822 sources, in a private apt state dir, so the
# system's apt configuration stays untouched.
APT="$WORK/apt"
mkdir -p "$APT/lists/partial"
sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$APT/src.sources"
AO=(-o "Dir::Etc::sourcelist=$APT/src.sources" -o Dir::Etc::sourceparts=/nonexistent -o "Dir::State::Lists=$APT/lists")
cd "$WORK"
if ! ls kubernetes_*.orig.tar.gz >/dev/null 2>&1; then
  log "fetching Debian source package kubernetes"
  apt-get "${AO[@]}" update -qq
  apt-get "${AO[@]}" source --download-only kubernetes >&2
fi
TARBALL="$(ls kubernetes_*.orig.tar.gz | head -1)"
TOP="$( (tar tzf "$TARBALL" || true) | head -1 | cut -d/ -f1)"
SRC="$WORK/$TOP"
[ -d "$SRC" ] || tar xzf "$TARBALL"

# The vendored github.com/modern-go/reflect2 v1.0.1 breaks on Go >= 1.18; Debian's v1.0.2 has the
# same import path, so its files replace the vendored ones.
R2="$SRC/vendor/github.com/modern-go/reflect2"
if [ ! -f "$R2/go_above_118.go" ]; then
  find "$R2" \( -name '*.go' -o -name '*.s' \) -delete
  cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$R2/"
fi

export PATH=/usr/lib/go-1.19/bin:$PATH GOFLAGS=-mod=vendor GOPROXY=off GOTOOLCHAIN=local GOCACHE="$WORK/gocache"
cd "$SRC"
log "building cmd/kube-apiserver (about 5 minutes on 2 cores)"
make WHAT=cmd/kube-apiserver >&2
cp _output/local/bin/linux/amd64/kube-apiserver "$BIN/kube-apiserver.tmp"
mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
log "built $("$BIN/kube-apiserver" --version) in $BIN"
if [ -z "${BUTLER_REAL_KUBE_KEEP_WORK:-}" ]; then
  cd "$WORK"
  rm -rf "$SRC" "$WORK/gocache"
fi
echo "$BIN"
