// A client that stops reading: the server coalesces what it owes it, keeps the unsent bytes bounded, keeps serving
// everybody else, closes it with 1013 after BUTLER_WS_SLOW_CLIENT_MAX, and the client converges by resuming.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Socket } from 'node:net';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { butlerCrds } from '../../sim/crds.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { describeState, LiveClient } from './live-client.js';
import { SimApi, sleep, SYSTEM_NAMESPACE, until } from './fixtures.js';

const HIGH_WATER = 32 * 1024;
const SLOW_MAX_MS = 1000;
const CLUSTERS = 30;
const PAD = 'x'.repeat(8 * 1024);

let sim: Simulator;
let api: SimApi;
let server: TestServer;
const clients: LiveClient[] = [];

before(async () => {
  sim = await startSimulator({ crds: butlerCrds(), seed: [SYSTEM_NAMESPACE] });
  api = new SimApi(sim);
  await api.namespace('slow');
  server = await startTestServer({
    sim,
    env: {
      BUTLER_WS_SLOW_CLIENT_HIGH_WATER: `${HIGH_WATER}`,
      BUTLER_WS_SLOW_CLIENT_LOW_WATER: `${HIGH_WATER / 4}`,
      BUTLER_WS_SLOW_CLIENT_MAX: `${SLOW_MAX_MS}ms`,
    },
  });
  assert.ok(await server.services.clusterCache.waitForSync(5000));
});

after(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await sim?.stop();
});

test('a stuck client is bounded, delays nobody, is closed with 1013 and converges by resuming', async () => {
  for (let i = 0; i < CLUSTERS; i++) await api.create('slow', `big-${i}`, 1, { 'example.com/pad': PAD });
  const { cookie } = await server.login();
  const healthy = await LiveClient.connect(server.url, { cookie });
  const stuck = await LiveClient.connect(server.url, { cookie });
  clients.push(healthy, stuck);
  await Promise.all([healthy, stuck].map((c) => c.waitFor('snapshot', () => c.types.length > 0)));
  const snapshotBytes = Buffer.byteLength(JSON.stringify(server.services.clusterCache.list()));
  (stuck.ws as unknown as { _socket: Socket })._socket.pause();

  let maxBuffered = 0;
  let maxPending = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const s of server.app.liveUpdates.sockets()) {
        maxBuffered = Math.max(maxBuffered, s.bufferedAmount);
        maxPending = Math.max(maxPending, s.pending);
      }
      await sleep(10);
    }
  })();

  // ~6 MB of updates: more than the kernel buffers of a paused loopback socket hold.
  let worstLagMs = 0;
  for (let round = 0; round < 25; round++) {
    await Promise.all(
      Array.from({ length: CLUSTERS }, async (_, i) => {
        const updated = await api.scale('slow', `big-${i}`, 1 + ((round + i) % 50));
        const t = Date.now();
        const key = `slow/big-${i}`;
        await healthy.waitFor(
          'the update',
          () => BigInt(healthy.state.get(key) ?? '0') >= BigInt(updated.metadata.resourceVersion),
        );
        worstLagMs = Math.max(worstLagMs, Date.now() - t);
      }),
    );
  }
  // The healthy client kept up with every change all along.
  assert.deepEqual(describeState(healthy.state), await api.state());
  assert.ok(worstLagMs < 1000, `healthy client lag up to ${worstLagMs} ms`);

  // The stuck one is closed by the server after SLOW_MAX_MS above the mark.
  await until(
    'the server to drop the stuck socket',
    () => server.app.liveUpdates.connections().authenticated === 1,
    8000,
  );
  sampling = false;
  await sampler;
  assert.ok(maxPending > 0, 'coalescing was used');
  assert.ok(maxPending <= CLUSTERS + 1, `pending frames ${maxPending}`);
  assert.ok(maxBuffered <= HIGH_WATER + snapshotBytes + 1024, `unsent bytes ${maxBuffered}`);
  assert.ok(healthy.open);

  (stuck.ws as unknown as { _socket: Socket })._socket.resume();
  const { code } = await stuck.closed;
  assert.ok(code === 1013 || code === 1006, `close code ${code}`);
  const resumed = await LiveClient.connect(server.url, {
    cookie,
    resourceVersion: stuck.lastResourceVersion,
    state: stuck.state,
  });
  clients.push(resumed);
  const want = await api.state();
  await resumed.waitFor('convergence after resuming', () => describeState(resumed.state).join() === want.join());
  console.log(
    `# stuck client: max ${maxBuffered} B unsent (mark ${HIGH_WATER}), max ${maxPending} pending frames, ` +
      `closed ${code}; healthy client lag up to ${worstLagMs} ms; resumed with ${resumed.types[0]}`,
  );
});
