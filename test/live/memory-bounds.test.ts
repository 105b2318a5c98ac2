// Issue 13 (2): the live-update buffers are bounded in bytes, not only in events. Large changes of one
// TenantCluster (free-form spec.addons.*.values) fill the replay history up to BUTLER_WS_EVENT_BUFFER_BYTES; a socket
// that stops reading holds at most BUTLER_WS_SEND_QUEUE_BYTES of frames and then gets one resync; butler_buffered_bytes
// reports both.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { butlerCrds } from '../../sim/crds.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { parsePrometheusText, sampleValue } from '../metrics/prom-text.js';
import { describeState, LiveClient } from './live-client.js';
import { clustersIn, SimApi, SYSTEM_NAMESPACE, until } from './fixtures.js';

const NAMESPACE = 'mem-a';
const KIB = 1024;
const REPLAY_BYTES = 64 * KIB;
const SEND_QUEUE_BYTES = 600 * KIB;
const METRICS_TOKEN = 'memory-bounds-metrics-token';

let sim: Simulator;
let api: SimApi;
let server: TestServer;

before(async () => {
  sim = await startSimulator({
    crds: butlerCrds(),
    seed: [SYSTEM_NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }],
  });
  api = new SimApi(sim);
  server = await startTestServer({
    sim,
    env: {
      BUTLER_WS_EVENT_BUFFER_BYTES: String(REPLAY_BYTES),
      BUTLER_WS_SEND_QUEUE_BYTES: String(SEND_QUEUE_BYTES),
      BUTLER_WS_SLOW_CLIENT_HIGH_WATER: String(16 * KIB),
      BUTLER_WS_SLOW_CLIENT_LOW_WATER: String(4 * KIB),
      BUTLER_WS_SLOW_CLIENT_MAX: '10m',
      BUTLER_METRICS_TOKEN: METRICS_TOKEN,
    },
  });
});

after(async () => {
  await server?.close();
  await sim?.stop();
});

/** A merge patch that puts ~`bytes` of free-form values into spec.addons.cni.values. */
function bigValues(seq: number, bytes: number) {
  return { spec: { addons: { cni: { version: '1.15.0', values: { seq, blob: 'x'.repeat(bytes) } } } } };
}

const patch = (name: string, seq: number, bytes: number) =>
  api.ok<{ metadata: { resourceVersion: string } }>(
    'PATCH',
    `${clustersIn(NAMESPACE)}/${name}`,
    bigValues(seq, bytes),
    'application/merge-patch+json',
  );

async function bufferedBytes(buffer: string): Promise<number> {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(res.status, 200);
  const value = sampleValue(parsePrometheusText(await res.text()), 'butler_buffered_bytes', { buffer });
  assert.equal(typeof value, 'number', `butler_buffered_bytes{buffer="${buffer}"} is reported`);
  return value!;
}

test('the replay history keeps at most BUTLER_WS_EVENT_BUFFER_BYTES; older positions resync', async () => {
  await api.create(NAMESPACE, 'big');
  const { cookie } = await server.login();
  const versions: string[] = [];
  for (let i = 0; i < 20; i++) versions.push((await patch('big', i, 10 * KIB)).metadata.resourceVersion);
  await server.services.clusterCache.waitForResourceVersion(versions.at(-1)!, 10_000);

  const replay = await bufferedBytes('replay');
  assert.ok(replay > 20 * KIB && replay <= REPLAY_BYTES, `replay history holds ${replay} bytes`);

  const recent = await LiveClient.connect(server.url, { cookie, resourceVersion: versions.at(-3)! });
  await recent.waitFor('the last two changes', () => recent.types.length >= 2);
  assert.deepEqual(recent.types, ['cluster_update', 'cluster_update'], 'a recent position is resumed');
  recent.close();
  const old = await LiveClient.connect(server.url, { cookie, resourceVersion: versions[0]! });
  await old.waitFor('a frame', () => old.types.length >= 1);
  assert.equal(old.types[0], 'resync', 'a position evicted for its bytes gets a resync');
  old.close();
});

test('a socket that stops reading holds at most BUTLER_WS_SEND_QUEUE_BYTES, then one resync brings it up to date', async () => {
  const names = Array.from({ length: 15 }, (_, i) => `q-${i}`);
  for (const name of names) await api.create(NAMESPACE, name);
  const { cookie } = await server.login();
  const stuck = await LiveClient.connect(server.url, { cookie });
  await stuck.waitFor('the snapshot', () => stuck.types.includes('snapshot'));
  const socket = (stuck.ws as unknown as { _socket: Socket })._socket;
  socket.pause();

  // Distinct clusters (coalescing per object cannot help): 15 × 2 × 200 KiB, more than the kernel's socket buffers
  // absorb and far more than the queue bound.
  let maxPendingBytes = 0;
  for (let round = 0; round < 2; round++) {
    for (const [i, name] of names.entries()) {
      await patch(name, round * 100 + i, 200 * KIB);
      for (const s of server.app.liveUpdates.sockets()) maxPendingBytes = Math.max(maxPendingBytes, s.pendingBytes);
    }
  }
  const last = (await api.list()).resourceVersion;
  await server.services.clusterCache.waitForResourceVersion(last, 10_000);
  for (const s of server.app.liveUpdates.sockets()) maxPendingBytes = Math.max(maxPendingBytes, s.pendingBytes);
  assert.ok(maxPendingBytes <= SEND_QUEUE_BYTES, `pending bytes peaked at ${maxPendingBytes}`);
  const sendBytes = await bufferedBytes('ws_send');
  // Pending frames plus what `ws` holds unsent (at most the high-water mark and one frame).
  assert.ok(sendBytes > 0 && sendBytes <= SEND_QUEUE_BYTES + 16 * KIB + 256 * KIB, `ws_send ${sendBytes}`);

  socket.resume();
  const want = await api.state();
  await until('the stuck client to converge', () => describeState(stuck.state).join() === want.join(), 20_000);
  assert.ok(stuck.types.includes('resync'), `the dropped frames were replaced by a resync (${stuck.types.join(',')})`);
  stuck.close();
});
