// Least privilege, proven: butler-server running as the deploy/ ServiceAccount (exactly the rendered ClusterRole and
// Roles) serves every feature; and removing any single verb of any rule breaks some feature, with the simulator
// having refused exactly that verb with 403.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  exerciseEveryFeature,
  keepClusterCacheCold,
  readClusterBeforeSync,
  startServerAsServiceAccount,
  startWorld,
  type World,
} from './scenario.js';

let world: World;
before(async () => {
  world = await startWorld();
});
after(() => world?.close());

describe('with exactly the deploy/ RBAC', () => {
  test('every feature works and nothing is refused', async () => {
    const server = await startServerAsServiceAccount(world);
    const done: string[] = [];
    try {
      const before = world.management.denials.length;
      await exerciseEveryFeature(server, world.management, done).catch((err: Error) => {
        throw new Error(`${err.message}\nrefused: ${JSON.stringify(world.management.denials.slice(before))}`);
      });
      assert.deepEqual(world.management.denials.slice(before), [], 'the simulator refused nothing');
    } finally {
      await server.close();
    }
    assert.equal(done.length, 23, done.join(', '));
  });

  // Last: it leaves the simulator's cluster-wide TenantCluster LIST failing.
  test('before the cluster cache has synced, clusters are read directly', async () => {
    keepClusterCacheCold(world.management);
    const server = await startServerAsServiceAccount(world);
    try {
      const before = world.management.denials.length;
      await readClusterBeforeSync(server);
      assert.deepEqual(world.management.denials.slice(before), []);
    } finally {
      await server.close();
    }
  });
});
