import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { butlerCrds } from '../../sim/crds.js';
import { createKubeClient, type KubeClient } from './client.js';
import { createResourceCache, type CacheSignal, type KubeObject, type ResourceCache } from './cache.js';

const GROUP_PATH = '/apis/butler.butlerlabs.dev/v1alpha1';
const ALL_CLUSTERS = `${GROUP_PATH}/tenantclusters`;
const nsPath = (ns: string) => `${GROUP_PATH}/namespaces/${ns}/tenantclusters`;

let sim: Simulator;
let kube: KubeClient;
const caches: ResourceCache<KubeObject>[] = [];

function cluster(namespace: string, name: string, replicas = 1): KubeObject {
  return {
    apiVersion: 'butler.butlerlabs.dev/v1alpha1',
    kind: 'TenantCluster',
    metadata: { name, namespace },
    spec: { kubernetesVersion: 'v1.30.2', workers: { replicas }, providerConfigRef: { name: 'harvester' } },
  };
}

const namespaceObject = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

async function createNamespace(name: string): Promise<void> {
  await kube
    .request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    })
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 409) throw err;
    });
}

const create = (ns: string, name: string, replicas = 1) =>
  kube.request<KubeObject>({ method: 'POST', path: nsPath(ns), body: cluster(ns, name, replicas) });
const scale = (ns: string, name: string, replicas: number) =>
  kube.request<KubeObject>({
    method: 'PATCH',
    path: `${nsPath(ns)}/${name}`,
    body: { spec: { workers: { replicas } } },
    contentType: 'application/merge-patch+json',
  });
const remove = (ns: string, name: string) =>
  kube.request<KubeObject>({ method: 'DELETE', path: `${nsPath(ns)}/${name}` });

function newCache(t: TestContext): ResourceCache<KubeObject> {
  const c = createResourceCache<KubeObject>(kube, {
    path: ALL_CLUSTERS,
    name: 'tenantclusters',
    pageSize: 2,
    backoffBaseMs: 100,
    backoffMaxMs: 400,
  });
  caches.push(c);
  t.after(() => c.stop());
  return c;
}

async function simList(): Promise<{ items: KubeObject[]; resourceVersion: string }> {
  const res = await kube.request<{ items: KubeObject[]; metadata: { resourceVersion: string } }>({
    method: 'GET',
    path: ALL_CLUSTERS,
  });
  return { items: res.items, resourceVersion: res.metadata.resourceVersion };
}

const summary = (items: readonly KubeObject[]) =>
  items.map((o) => `${o.metadata.namespace}/${o.metadata.name}@${o.metadata.resourceVersion}`);

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function sameAsSimulator(cache: ResourceCache<KubeObject>): Promise<void> {
  const want = await simList();
  await until('cache to catch up with the simulator', () => {
    return summary(cache.list()).join() === summary(want.items).join();
  });
}

before(async () => {
  sim = await startSimulator({ crds: butlerCrds(), bookmarkIntervalMs: 100 });
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  kube = createKubeClient(kc, { timeoutMs: 5000, name: 'management' });
  await createNamespace('team-a');
  await createNamespace('team-b');
});

after(async () => {
  for (const c of caches) c.stop();
  kube?.close();
  await sim?.stop();
});

test('syncs with a paged LIST: sorted, managedFields stripped, position = list resourceVersion', async (t) => {
  await create('team-b', 'sync-1');
  await create('team-a', 'sync-2');
  await create('team-a', 'sync-1');
  const cache = newCache(t);
  assert.equal(cache.synced, false);
  cache.start();
  assert.equal(await cache.waitForSync(5000), true);
  const want = await simList();
  assert.deepEqual(summary(cache.list()), summary(want.items));
  assert.deepEqual(
    cache.list().map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    ['team-a/sync-1', 'team-a/sync-2', 'team-b/sync-1'],
  );
  assert.equal(cache.resourceVersion, want.resourceVersion);
  assert.ok(cache.list().every((o) => !('managedFields' in o.metadata)));
  assert.deepEqual(
    cache.list('team-a').map((o) => o.metadata.name),
    ['sync-1', 'sync-2'],
  );
  assert.equal(cache.get('team-b', 'sync-1')?.metadata.name, 'sync-1');
  assert.equal(cache.get('team-b', 'nope'), undefined);
  assert.deepEqual(JSON.parse(cache.listJson('team-b')), cache.list('team-b'));
  for (const name of ['sync-1', 'sync-2']) await remove('team-a', name);
  await remove('team-b', 'sync-1');
});

test('emits ADDED, MODIFIED, DELETED in watch order and read-your-writes holds', async (t) => {
  const cache = newCache(t);
  cache.start();
  assert.ok(await cache.waitForSync(5000));
  const seen: CacheSignal<KubeObject>[] = [];
  cache.subscribe((s) => seen.push(s));

  const created = await create('team-a', 'events-1');
  await cache.waitForResourceVersion(created.metadata.resourceVersion!, 2000);
  assert.equal(cache.get('team-a', 'events-1')?.metadata.resourceVersion, created.metadata.resourceVersion);
  const scaled = await scale('team-a', 'events-1', 3);
  await cache.waitForResourceVersion(scaled.metadata.resourceVersion!, 2000);
  assert.deepEqual(cache.get('team-a', 'events-1')?.spec?.workers, { replicas: 3 });
  await remove('team-a', 'events-1');
  await until('the delete', () => seen.length === 3);
  assert.equal(cache.get('team-a', 'events-1'), undefined);

  assert.deepEqual(
    seen.map((s) => s.type),
    ['ADDED', 'MODIFIED', 'DELETED'],
  );
  const [a, m, d] = seen as [CacheSignal<KubeObject>, CacheSignal<KubeObject>, CacheSignal<KubeObject>];
  assert.equal(a.resourceVersion, created.metadata.resourceVersion);
  assert.equal(m.resourceVersion, scaled.metadata.resourceVersion);
  assert.ok(BigInt(d.resourceVersion) > BigInt(m.resourceVersion));
  assert.equal(cache.resourceVersion, d.resourceVersion);
  assert.ok(seen.every((s) => s.type === 'RESYNC' || !s.relist));
});

test('waitForResourceVersion: resolves after the timeout for a future version, at once for a non-numeric one', async (t) => {
  const cache = newCache(t);
  cache.start();
  assert.ok(await cache.waitForSync(5000));
  const future = String(BigInt(cache.resourceVersion) + 1_000_000n);
  let t0 = Date.now();
  await cache.waitForResourceVersion(future, 150);
  assert.ok(Date.now() - t0 >= 140, 'waited for the timeout');
  t0 = Date.now();
  await cache.waitForResourceVersion('not-a-number', 5000);
  await cache.waitForResourceVersion(cache.resourceVersion, 5000);
  assert.ok(Date.now() - t0 < 100);
});

test('bookmarks advance the position without changes', async (t) => {
  const cache = newCache(t);
  cache.start();
  assert.ok(await cache.waitForSync(5000));
  // A change elsewhere in the group (another resource) moves the global revision; the bookmark carries it.
  await kube.request({
    method: 'POST',
    path: '/api/v1/namespaces/team-a/configmaps',
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bookmark-mover' } },
  });
  const current = (
    await kube.request<{ metadata: { resourceVersion: string } }>({
      method: 'GET',
      path: '/api/v1/namespaces/team-a/configmaps/bookmark-mover',
    })
  ).metadata.resourceVersion;
  await until('a bookmark to advance the position', () => BigInt(cache.resourceVersion) >= BigInt(current), 3000);
});

test('resumes from the last resourceVersion after the watch ends, without a re-list', async (t) => {
  const cache = newCache(t);
  cache.start();
  assert.ok(await cache.waitForSync(5000));
  const seen: CacheSignal<KubeObject>[] = [];
  cache.subscribe((s) => seen.push(s));
  sim.recordRequests(true);
  const watches = () =>
    sim.requests.filter((r) => r.method === 'GET' && r.path.startsWith(ALL_CLUSTERS) && r.path.includes('watch=true'));
  for (let i = 0; i < 3; i++) {
    const before = watches().length;
    const position = cache.resourceVersion;
    sim.faults.endWatches();
    await until('the cache to watch again', () => watches().length > before);
    const resumedFrom = new URL(watches().at(-1)!.path, 'http://x').searchParams;
    // From the last position seen (a bookmark may have moved it since).
    assert.ok(BigInt(resumedFrom.get('resourceVersion') ?? '0') >= BigInt(position), resumedFrom.toString());
    assert.equal(resumedFrom.get('allowWatchBookmarks'), 'true');
    await create('team-b', `resume-${i}`);
  }
  await until('the last create', () => cache.get('team-b', 'resume-2') !== undefined);
  sim.recordRequests(false);
  await sameAsSimulator(cache);
  assert.deepEqual(
    seen.map((s) => `${s.type} ${s.type === 'RESYNC' ? '' : s.object.metadata.name}`),
    ['ADDED resume-0', 'ADDED resume-1', 'ADDED resume-2'],
  );
  const lists = sim.requests.filter(
    (r) => r.method === 'GET' && r.path.startsWith(ALL_CLUSTERS) && !r.path.includes('watch=true'),
  );
  // Only the cheap lost-state check (limit=1) before a resume, never a re-list.
  assert.ok(lists.length >= 1, 'the server state is checked before resuming');
  assert.ok(
    lists.every((r) => new URL(r.path, 'http://x').searchParams.get('limit') === '1'),
    lists.map((r) => r.path).join(' '),
  );
  for (let i = 0; i < 3; i++) await remove('team-b', `resume-${i}`);
});

test('after 410 Expired it re-lists and emits the difference, then RESYNC', async (t) => {
  await create('team-a', 'keep');
  await create('team-a', 'change');
  await create('team-a', 'vanish');
  const cache = newCache(t);
  cache.start();
  assert.ok(await cache.waitForSync(5000));
  const seen: CacheSignal<KubeObject>[] = [];
  cache.subscribe((s) => seen.push(s));

  // Keep the cache from watching while the content changes, then drop the history it would resume from.
  sim.faults.failNext(3, { status: 500, path: /^\/apis\/butler\.butlerlabs\.dev\/v1alpha1\/tenantclusters/ });
  sim.faults.endWatches();
  await scale('team-a', 'change', 5);
  await remove('team-a', 'vanish');
  await create('team-a', 'new');
  sim.faults.compact();

  await until('the RESYNC signal', () => seen.some((s) => s.type === 'RESYNC'));
  const types = seen.map((s) => (s.type === 'RESYNC' ? 'RESYNC' : `${s.type} ${s.object.metadata.name}`));
  assert.deepEqual(types.slice(0, -1).sort(), ['ADDED new', 'DELETED vanish', 'MODIFIED change']);
  assert.equal(types.at(-1), 'RESYNC');
  assert.ok(seen.slice(0, -1).every((s) => s.type !== 'RESYNC' && s.relist === true));
  await sameAsSimulator(cache);
  const want = await simList();
  assert.equal(seen.at(-1)?.resourceVersion, want.resourceVersion);

  // And it watches again afterwards.
  await create('team-a', 'after');
  await sameAsSimulator(cache);
  for (const name of ['keep', 'change', 'new', 'after']) await remove('team-a', name);
});

test('an API server that comes back with new storage (same address) is noticed: re-list, difference, RESYNC', async (t) => {
  // Its own simulator: the restart wipes everything.
  const fresh = await startSimulator({
    crds: butlerCrds(),
    seed: [namespaceObject('team-a')],
    bookmarkIntervalMs: 100,
  });
  t.after(() => fresh.stop());
  const kc = new KubeConfig();
  kc.loadFromString(fresh.kubeconfig);
  const client = createKubeClient(kc, { timeoutMs: 5000, name: 'management' });
  t.after(() => client.close());
  const post = (name: string) =>
    client.request<KubeObject>({ method: 'POST', path: nsPath('team-a'), body: cluster('team-a', name) });
  // Enough writes that the old position stays ahead of the new server for the whole test.
  for (let i = 0; i < 20; i++) await post(`old-${i}`);
  const cache = createResourceCache<KubeObject>(client, {
    path: ALL_CLUSTERS,
    name: 'tenantclusters',
    backoffBaseMs: 100,
    backoffMaxMs: 400,
  });
  t.after(() => cache.stop());
  cache.start();
  assert.ok(await cache.waitForSync(5000));
  assert.equal(cache.list().length, 20);
  const seen: CacheSignal<KubeObject>[] = [];
  cache.subscribe((s) => seen.push(s));

  await fresh.faults.down();
  await fresh.faults.up({ keepState: false, newStorage: true });
  await post('new-1');
  // The server's version is now far behind the cache's: a resumed watch would stay silent for good.
  await until(
    'the cache to hold what the new server holds',
    () => summary(cache.list()).join() === 'team-a/new-1@' + cache.get('team-a', 'new-1')?.metadata.resourceVersion,
    15000,
  );
  assert.equal(seen.at(-1)?.type, 'RESYNC');
  const deleted = seen.filter((s) => s.type === 'DELETED').length;
  assert.equal(deleted, 20, 'every vanished object is emitted as DELETED');
  // And it watches the new server from its own position afterwards.
  await post('new-2');
  await until('a change after the re-list', () => cache.get('team-a', 'new-2') !== undefined, 5000);
});

test('stop() ends the watch and releases waiters', async (t) => {
  const cache = newCache(t);
  cache.start();
  assert.ok(await cache.waitForSync(5000));
  const waiting = cache.waitForResourceVersion(String(BigInt(cache.resourceVersion) + 1_000_000n), 60_000);
  cache.stop();
  await waiting;
  await create('team-b', 'after-stop');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(cache.get('team-b', 'after-stop'), undefined);
  await remove('team-b', 'after-stop');
});
