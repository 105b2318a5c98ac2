// Acceptance (issue 5): 200 authenticated clients stay exactly in step with the simulator through 2,000 random
// creates, updates and deletes while watches are ended 10 times and the history is compacted twice (forcing 410
// re-lists). A client that stops reading for the whole run stays within a memory bound on the server, delays no one,
// and converges once it reads again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Socket } from 'node:net';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { butlerCrds } from '../../sim/crds.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { describeState, LiveClient } from './live-client.js';
import { SimApi, sleep, SYSTEM_NAMESPACE, until } from './fixtures.js';

const CLIENTS = 200;
const OPERATIONS = 2000;
const CONCURRENCY = 8;
const NAMESPACES = ['conv-a', 'conv-b', 'conv-c'];
const NAMES_PER_NAMESPACE = 60;
const HIGH_WATER = 64 * 1024;

let sim: Simulator;
let api: SimApi;
let server: TestServer;
const clients: LiveClient[] = [];

before(async () => {
  sim = await startSimulator({ crds: butlerCrds(), seed: [SYSTEM_NAMESPACE], bookmarkIntervalMs: 500 });
  api = new SimApi(sim);
  for (const ns of NAMESPACES) await api.namespace(ns);
  server = await startTestServer({
    sim,
    env: {
      BUTLER_WS_SLOW_CLIENT_HIGH_WATER: `${HIGH_WATER}`,
      BUTLER_WS_SLOW_CLIENT_LOW_WATER: `${HIGH_WATER / 4}`,
      BUTLER_WS_SLOW_CLIENT_MAX: '10m',
    },
  });
  assert.ok(await server.services.clusterCache.waitForSync(5000));
});

after(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await sim?.stop();
});

function random<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

test('200 clients converge exactly under 2,000 changes, 10 ended watches and 2 compactions', async () => {
  // Some clusters exist before anyone connects.
  for (let i = 0; i < 20; i++) await api.create(NAMESPACES[i % 3]!, `c-${i}`);

  const sessions = await Promise.all([1, 2, 3, 4].map(() => server.login()));
  for (let i = 0; i < CLIENTS; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, CLIENTS - i) }, (_, j) =>
        LiveClient.connect(server.url, { cookie: sessions[(i + j) % sessions.length]!.cookie }),
      ),
    );
    clients.push(...batch);
  }
  await Promise.all(clients.map((c) => c.waitFor('snapshot', () => c.types.length > 0)));

  const stuck = await LiveClient.connect(server.url, { cookie: sessions[0]!.cookie });
  await stuck.waitFor('snapshot', () => stuck.types.length > 0);
  const stuckSocket = (stuck.ws as unknown as { _socket: Socket })._socket;
  stuckSocket.pause();

  // Server-side view of every socket while the run goes on.
  let maxBuffered = 0;
  let maxPending = 0;
  let sawSlow = false;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      for (const s of server.app.liveUpdates.sockets()) {
        maxBuffered = Math.max(maxBuffered, s.bufferedAmount);
        maxPending = Math.max(maxPending, s.pending);
        sawSlow ||= s.slow;
      }
      await sleep(25);
    }
  })();

  const names: string[] = [];
  for (const ns of NAMESPACES) for (let i = 0; i < NAMES_PER_NAMESPACE; i++) names.push(`${ns}/c-${i}`);
  const existing = new Set((await api.list()).items.map((c) => `${c.metadata.namespace}/${c.metadata.name}`));
  const busy = new Set<string>();
  let started = 0;
  let completed = 0;
  const counts = { create: 0, update: 0, delete: 0 };

  const worker = async () => {
    while (started < OPERATIONS) {
      started++;
      let key = random(names);
      for (let tries = 0; busy.has(key) && tries < 100; tries++) key = random(names);
      if (busy.has(key)) continue;
      busy.add(key);
      const [ns, name] = key.split('/') as [string, string];
      try {
        if (!existing.has(key)) {
          await api.create(ns, name, 1 + Math.floor(Math.random() * 5));
          existing.add(key);
          counts.create++;
        } else if (Math.random() < 0.6) {
          await api.scale(ns, name, 1 + Math.floor(Math.random() * 20));
          counts.update++;
        } else {
          await api.remove(ns, name);
          existing.delete(key);
          counts.delete++;
        }
      } finally {
        busy.delete(key);
        completed++;
      }
    }
  };

  let ended = 0;
  let compacted = 0;
  const faults = (async () => {
    for (let k = 0; k < 10; k++) {
      const threshold = Math.floor(((k + 0.5) * OPERATIONS) / 10);
      await until(`operation ${threshold}`, () => completed >= threshold || started >= OPERATIONS, 60_000);
      if (k === 3 || k === 7) {
        // Drop the history the server's watch would resume from, then end the watch while changes go on: its resume
        // is always too old (410), whenever it reconnects, so it re-lists and every client gets a resync.
        sim.faults.compact();
        sim.faults.endWatches();
        compacted++;
      } else {
        sim.faults.endWatches();
      }
      ended++;
    }
  })();

  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await faults;
  const mutationMs = Date.now() - t0;
  assert.equal(ended, 10);
  assert.equal(compacted, 2);

  const want = await api.state();
  const t1 = Date.now();
  await Promise.all(
    clients.map((c) => c.waitFor('the simulator state', () => describeState(c.state).join() === want.join(), 20_000)),
  );
  const convergeMs = Date.now() - t1;
  sampling = false;
  await sampler;

  // Every client received resyncs (the two forced re-lists) and ended equal to the simulator: no phantom, missing
  // or stale cluster.
  for (const c of clients) {
    assert.ok(c.open);
    assert.ok(
      c.types.filter((t) => t === 'resync').length >= 2,
      `resyncs: ${c.types.filter((t) => t === 'resync').length}`,
    );
    assert.deepEqual(describeState(c.state), want);
  }
  assert.ok(counts.create > 300 && counts.update > 300 && counts.delete > 100, JSON.stringify(counts));

  // What the server holds for the stuck client stays bounded. (Whether it got past the kernel's socket buffers into
  // coalescing depends on how much those absorb; slow-client.test.ts pushes enough data to be sure.)
  const largestFrame = 256 * 1024; // a resync of at most 180 small clusters
  assert.ok(maxBuffered <= HIGH_WATER + largestFrame, `max unsent bytes ${maxBuffered}`);
  assert.ok(maxPending <= NAMESPACES.length * NAMES_PER_NAMESPACE + 2, `max pending frames ${maxPending}`);
  assert.ok(describeState(stuck.state).join() !== want.join(), 'the paused client is behind while paused');

  stuckSocket.resume();
  await stuck.waitFor('the paused client to catch up', () => describeState(stuck.state).join() === want.join(), 20_000);
  assert.ok(stuck.open);
  console.log(
    `# ${OPERATIONS} changes in ${mutationMs} ms; all ${CLIENTS} clients converged ${convergeMs} ms later; ` +
      `stuck client: max ${maxBuffered} B unsent, max ${maxPending} pending, coalescing ${sawSlow ? 'used' : 'not needed'}`,
  );
});
