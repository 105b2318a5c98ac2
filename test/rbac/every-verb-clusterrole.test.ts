// Removing any verb of any rule of the deploy/ ClusterRole breaks some feature with a 403 from the API server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { proveVerbIsUsed, verbCases } from './every-verb.js';
import { startWorld, type World } from './scenario.js';

let world: World;
before(async () => {
  world = await startWorld();
});
after(() => world?.close());

// get on tenantclusters serves reads before the cluster cache has synced (afterwards the cache answers), so it
// is proven with a cache kept cold; that poisons the simulator's cluster LIST, hence it runs last.
const isPreSyncRead = (c: { verb: string; resources: string[] }) =>
  c.verb === 'get' && c.resources.includes('tenantclusters');

test('every verb of every ClusterRole rule is needed', async (t) => {
  const cases = await verbCases('ClusterRole', 'butler-server');
  for (const c of cases.filter((x) => !isPreSyncRead(x))) {
    await t.test(`${c.verb} ${c.resources.join(',')}`, async (st) => {
      st.diagnostic(await proveVerbIsUsed(world, 'ClusterRole', 'butler-server', c));
    });
  }
  const preSync = cases.find(isPreSyncRead);
  assert.ok(preSync, 'the ClusterRole grants get on tenantclusters');
  await t.test('get tenantclusters (reads before the cluster cache has synced)', async (st) => {
    st.diagnostic(await proveVerbIsUsed(world, 'ClusterRole', 'butler-server', preSync, { coldClusterCache: true }));
  });
});
