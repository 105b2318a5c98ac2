// The cached read path answers the same list, in the same order, before the watch cache has synced (one LIST) and
// after (from the cache): namespace "team" before "team-a", whatever separator a key would use.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { butlerCrds } from '../../sim/crds.js';
import { TENANT_CLUSTERS } from './butler.js';
import { createResourceCache, type KubeObject } from './cache.js';
import { getCached, listCached, listCachedJson, type CachedSource } from './cached-read.js';
import { createKubeClient, type KubeClient } from './client.js';

const NAMESPACES = ['team-a', 'team', 'team0'];
const cluster = (namespace: string, name: string) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'TenantCluster',
  metadata: { name, namespace },
  spec: { kubernetesVersion: 'v1.30.2', workers: { replicas: 1 }, providerConfigRef: { name: 'harvester' } },
});

let sim: Simulator;
let kube: KubeClient;

before(async () => {
  sim = await startSimulator({
    crds: butlerCrds(),
    seed: [
      ...NAMESPACES.map((name) => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      })),
      cluster('team-a', 'b'),
      cluster('team', 'z'),
      cluster('team-a', 'a'),
      cluster('team0', 'x'),
      cluster('team', 'a-b'),
      cluster('team', 'a'),
    ],
  });
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  kube = createKubeClient(kc, { timeoutMs: 5000 });
});
after(async () => {
  kube?.close();
  await sim?.stop();
});

const names = (items: KubeObject[]) => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

test('the same list in the same order before and after the cache syncs; managedFields stripped either way', async (t) => {
  const cache = createResourceCache<KubeObject>(kube, { path: TENANT_CLUSTERS.collectionPath(), name: 'tc' });
  t.after(() => cache.stop());
  const src: CachedSource<KubeObject> = { type: TENANT_CLUSTERS, cache, kube };

  assert.equal(cache.synced, false);
  const before = await listCached(src);
  const beforeJson = await listCachedJson(src);
  const beforeTeam = await listCached(src, 'team');
  const missingBefore = await getCached(src, 'team', 'nope');
  const foundBefore = await getCached(src, 'team-a', 'a');

  cache.start();
  assert.ok(await cache.waitForSync(10_000), 'cache synced');
  const afterSync = await listCached(src);

  const expected = ['team/a', 'team/a-b', 'team/z', 'team-a/a', 'team-a/b', 'team0/x'];
  assert.deepEqual(names(before), expected, 'before sync');
  assert.deepEqual(names(afterSync), expected, 'after sync');
  assert.deepEqual(JSON.parse(beforeJson), JSON.parse(await listCachedJson(src)));
  assert.deepEqual(names(beforeTeam), names(await listCached(src, 'team')));
  assert.deepEqual(names(beforeTeam), ['team/a', 'team/a-b', 'team/z']);
  for (const o of [...before, ...afterSync]) assert.equal('managedFields' in o.metadata, false);

  assert.equal(missingBefore, undefined);
  assert.equal(await getCached(src, 'team', 'nope'), undefined);
  assert.deepEqual(foundBefore, await getCached(src, 'team-a', 'a'));
});

test('a failing LIST before sync is the mapped HTTP error', async (t) => {
  const cache = createResourceCache<KubeObject>(kube, { path: TENANT_CLUSTERS.collectionPath(), name: 'tc' });
  const src: CachedSource<KubeObject> = { type: TENANT_CLUSTERS, cache, kube };
  sim.faults.failNext(1, { status: 403, path: /tenantclusters/ });
  t.after(() => sim.faults.failNext(0, { status: 403 }));
  await assert.rejects(listCached(src, 'team'), {
    status: 403,
    message: 'butler-server is not allowed to list tenantclusters in namespace team',
  });
});
