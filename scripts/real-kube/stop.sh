#!/usr/bin/env bash
# Stop what scripts/real-kube/start.sh started (by the PIDs it recorded) and remove its state dir.
#   scripts/real-kube/stop.sh STATE_DIR_OR_KUBECONFIG
set -uo pipefail
arg="${1:?usage: stop.sh STATE_DIR_OR_KUBECONFIG}"
DIR="$arg"
[ -f "$arg" ] && DIR="$(dirname "$arg")"
case "$DIR" in /tmp/butler-real-kube.*) ;; *) echo "[real-kube stop] refusing: $DIR is not a state dir of start.sh" >&2; exit 2 ;; esac
for p in kube-apiserver etcd; do
  f="$DIR/$p.pid"
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "[real-kube stop] stopped $p (pid $pid)" >&2
  fi
done
rm -rf "$DIR"
