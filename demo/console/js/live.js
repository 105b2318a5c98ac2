// /ws/clusters: the cluster list, kept current by snapshot / resync / cluster_update / cluster_delete messages.
// The socket behaves like the Butler Console's: opened once at page load (the login page included, before any
// session exists), reconnected only when it closes (5 attempts, 1, 2, 4, 8 and 16 s apart; every successful open
// resets the count), never reopened on login. The server closes this browser's anonymous socket when it logs in
// (4401), so the reconnect a second later carries the session.
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16000];
const listeners = new Set();
const clusters = new Map();
let attempt = 0;

const keyOf = (c) => `${c.metadata.namespace}/${c.metadata.name}`;

function emit() {
  for (const fn of listeners) fn();
}

function setConnected(on) {
  document.getElementById('live')?.classList.toggle('on', on);
}

function open() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/clusters`);
  ws.onopen = () => {
    attempt = 0;
    setConnected(true);
  };
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data);
    if (msg.type === 'snapshot' || msg.type === 'resync') {
      clusters.clear();
      for (const c of msg.payload.clusters) clusters.set(keyOf(c), c);
    } else if (msg.type === 'cluster_update') {
      clusters.set(keyOf(msg.payload.cluster), msg.payload.cluster);
    } else if (msg.type === 'cluster_delete') {
      clusters.delete(`${msg.payload.namespace}/${msg.payload.name}`);
    } else return;
    emit();
  };
  ws.onclose = () => {
    setConnected(false);
    if (attempt >= RETRY_DELAYS_MS.length) return;
    setTimeout(open, RETRY_DELAYS_MS[attempt++]);
  };
}

/** Called once, at page load. */
export function start() {
  open();
}

/** Forgets the clusters (logout); the server ends the socket of the revoked session itself. */
export function clear() {
  clusters.clear();
  emit();
}

export function clusterList() {
  return [...clusters.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

export function cluster(namespace, name) {
  return clusters.get(`${namespace}/${name}`);
}

/** Calls fn on every change; returns the unsubscribe function. */
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
