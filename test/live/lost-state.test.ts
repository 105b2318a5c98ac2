// Issue 13 (5): the management API server comes back empty at the same address (new storage, resourceVersions start
// again). Its watch from our old, higher position would be accepted and stay silent, so without detection the
// deleted clusters stayed listed. They must disappear from GET /api/clusters and from /ws/clusters promptly, and the
// clusters of the new server must show.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { butlerCrds } from '../../sim/crds.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { describeState, LiveClient } from './live-client.js';
import { SimApi, SYSTEM_NAMESPACE, until } from './fixtures.js';

const NAMESPACE = 'lost-a';
const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } };

let sim: Simulator;
let api: SimApi;
let server: TestServer;

before(async () => {
  sim = await startSimulator({ crds: butlerCrds(), seed: [SYSTEM_NAMESPACE, namespace], bookmarkIntervalMs: 500 });
  api = new SimApi(sim);
  server = await startTestServer({ sim });
});

after(async () => {
  await server?.close();
  await sim?.stop();
});

async function apiClusterNames(cookie: string): Promise<string[]> {
  const res = await fetch(`${server.url}/api/clusters`, { headers: { cookie } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { clusters: { metadata: { name: string } }[] };
  return body.clusters.map((c) => c.metadata.name).sort();
}

test('after the API server loses its state, deleted clusters vanish from /api/clusters and /ws/clusters', async () => {
  // Enough writes that the old position stays ahead of the new server's versions throughout.
  for (let i = 0; i < 15; i++) await api.create(NAMESPACE, `old-${i}`);
  const { cookie } = await server.login();
  await until('the cache to hold every cluster', async () => (await apiClusterNames(cookie)).length === 15, 10_000);
  const live = await LiveClient.connect(server.url, { cookie });
  await live.waitFor('the snapshot', () => live.state.size === 15);

  await sim.faults.down();
  await sim.faults.up({ keepState: false, newStorage: true });
  // The first request may go out on a keep-alive connection the restart closed.
  const fresh = await api.create(NAMESPACE, 'fresh').catch(() => api.create(NAMESPACE, 'fresh'));
  const expected = [`${NAMESPACE}/fresh@${fresh.metadata.resourceVersion}`];

  await until(
    'GET /api/clusters to list only the new server’s cluster',
    async () => {
      const names = await apiClusterNames(cookie);
      return names.length === 1 && names[0] === 'fresh';
    },
    20_000,
  );
  await live.waitFor('the socket to converge', () => describeState(live.state).join() === expected.join(), 20_000);
  assert.ok(live.types.includes('resync'), `a resync replaced the socket's state (${live.types.join(',')})`);
  assert.ok(live.open);
  live.close();
});
