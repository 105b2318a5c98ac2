// Least privilege, proven: butler-server running as the deploy/ ServiceAccount (exactly the rendered ClusterRole and
// Roles) serves every feature; and removing any single verb of any rule breaks some feature, with the simulator
// having refused exactly that verb with 403.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verbCases } from './every-verb.js';
import {
  ADMIN_EMAIL,
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

  test('writes made on behalf of the user reached the cluster as that user, and use every grant of butler-api-users', async () => {
    // The audit log of the run above: what was sent impersonated, and that the server's own account wrote none of it.
    const asUser = world.management.audit.filter(
      (e) => e.impersonatedUser?.username === ADMIN_EMAIL && e.responseStatus.code < 300,
    );
    assert.ok(
      asUser.every(
        (e) =>
          e.user.username === 'system:serviceaccount:butler-system:butler-server' &&
          e.impersonatedUser!.groups.join(',') === 'butler-api-users,system:authenticated',
      ),
    );
    const used = new Set(asUser.map((e) => `${e.objectRef.resource}|${e.verb}`));
    for (const c of await verbCases('ClusterRole', 'butler-api-users'))
      for (const resource of c.resources)
        assert.ok(used.has(`${resource}|${c.verb}`), `butler-api-users grants ${c.verb} on ${resource} unused`);
    // No user-requested Butler write went with the server's own identity.
    const ownWrites = world.management.audit.filter(
      (e) =>
        !e.impersonatedUser &&
        e.user.username === 'system:serviceaccount:butler-system:butler-server' &&
        ['create', 'update', 'patch', 'delete'].includes(e.verb) &&
        ['tenantclusters', 'tenantaddons', 'managementaddons', 'providerconfigs', 'teams'].includes(
          e.objectRef.resource,
        ) &&
        !e.objectRef.subresource,
    );
    assert.deepEqual(ownWrites, []);
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
