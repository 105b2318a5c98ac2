// Removing any verb of any rule of the deploy/ ClusterRole breaks some feature with a 403 from the API server.
import { after, before, test } from 'node:test';
import { proveVerbIsUsed, verbCases } from './every-verb.js';
import { startWorld, type World } from './scenario.js';

let world: World;
before(async () => {
  world = await startWorld();
});
after(() => world?.close());

test('every verb of every ClusterRole rule is needed', async (t) => {
  for (const c of await verbCases('ClusterRole', 'butler-server')) {
    await t.test(`${c.verb} ${c.resources.join(',')}`, async (st) => {
      st.diagnostic(await proveVerbIsUsed(world, 'ClusterRole', 'butler-server', c));
    });
  }
});
