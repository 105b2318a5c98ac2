// /ws/clusters: the cluster list, kept current by snapshot / resync / cluster_update / cluster_delete messages.

const listeners = new Set();
const clusters = new Map();
let socket;
let retryMs = 1000;
let retryTimer;
let wanted = false;

const keyOf = (c) => `${c.metadata.namespace}/${c.metadata.name}`;

function emit() {
  for (const fn of listeners) fn();
}

function setConnected(on) {
  document.getElementById('live')?.classList.toggle('on', on);
}

function open() {
  clearTimeout(retryTimer);
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/clusters`);
  socket = ws;
  ws.onopen = () => {
    retryMs = 1000;
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
    if (socket !== ws) return;
    setConnected(false);
    socket = undefined;
    if (!wanted) return;
    retryTimer = setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, 16000);
  };
}

/** (Re)connects: after a login the new socket carries the session cookie and gets data. */
export function connect() {
  wanted = true;
  const old = socket;
  socket = undefined;
  old?.close();
  open();
}

export function disconnect() {
  wanted = false;
  clearTimeout(retryTimer);
  const old = socket;
  socket = undefined;
  old?.close();
  setConnected(false);
  clusters.clear();
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
