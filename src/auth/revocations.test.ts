import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { createKubeClient, type KubeClient } from '../kube/client.js';
import { isKubeStatus } from '../kube/errors.js';
import { createRevocationStore, REVOCATION_PREFIX, type RevocationStore } from './revocations.js';
import { watchSession } from './session-watch.js';

const jti = () => randomBytes(16).toString('hex');
const inAnHour = () => new Date(Date.now() + 3600_000);

async function eventually(cond: () => boolean, ms: number, what: string): Promise<number> {
  const began = Date.now();
  while (!cond()) {
    if (Date.now() - began > ms) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - began;
}

describe('revocation store against the simulator', () => {
  let sim: Simulator;
  let config: Config;
  const clients: KubeClient[] = [];
  const stores: RevocationStore[] = [];

  function newStore(): { store: RevocationStore; kube: KubeClient } {
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const kube = createKubeClient(kc, { timeoutMs: 1000 });
    const store = createRevocationStore(kube, config, { backoffMinMs: 20, backoffMaxMs: 200 });
    clients.push(kube);
    stores.push(store);
    return { store, kube };
  }

  before(async () => {
    sim = await startSimulator({
      seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'butler-system' } }],
      bookmarkIntervalMs: 100,
    });
    config = loadConfig(['--kubeconfig', sim.kubeconfigPath], {
      BUTLER_JWT_SECRET: randomBytes(36).toString('base64'),
      BUTLER_ADMIN_PASSWORD: 'revocation-test-pw',
    });
  });
  after(async () => {
    for (const s of stores) s.stop();
    for (const c of clients) c.close();
    await sim?.stop();
  });

  test('a revocation is stored as a labelled ConfigMap and reaches another replica within 2 s', async () => {
    const a = newStore();
    const b = newStore();
    assert.equal(a.store.synced, false);
    await Promise.all([a.store.start(), b.store.start()]);
    assert.equal(a.store.synced, true);
    const seenByB: string[] = [];
    b.store.onRevoked((j) => seenByB.push(j));

    const id = jti();
    const expiresAt = inAnHour();
    await a.store.revoke(id, expiresAt);
    assert.equal(a.store.isRevoked(id), true);
    const ms = await eventually(() => b.store.isRevoked(id), 2000, 'replica B sees the revocation');
    assert.ok(ms < 2000);
    assert.deepEqual(seenByB, [id]);

    const cm = await a.kube.request<{ metadata: { labels: Record<string, string> }; data: Record<string, string> }>({
      method: 'GET',
      path: `/api/v1/namespaces/butler-system/configmaps/${REVOCATION_PREFIX}${id}`,
    });
    assert.equal(cm.metadata.labels['app.kubernetes.io/managed-by'], 'butler');
    assert.equal(cm.metadata.labels['butler.butlerlabs.dev/revoked-token'], 'true');
    assert.equal(Date.parse(cm.data.expiresAt!), Math.floor(expiresAt.getTime() / 1000) * 1000);
    assert.deepEqual(Object.keys(cm.data), ['expiresAt']);

    // AlreadyExists (the other replica revoking the same token) counts as success.
    await b.store.revoke(id, expiresAt);
  });

  test('a store started later (a restart) loads earlier revocations before it reports synced', async () => {
    const a = newStore();
    await a.store.start();
    const id = jti();
    await a.store.revoke(id, inAnHour());
    const restarted = newStore();
    await restarted.store.start();
    assert.equal(restarted.store.isRevoked(id), true);
    assert.equal(restarted.store.isRevoked(jti()), false);
  });

  test('after compaction (410 Expired) the store relists and keeps following', async () => {
    const a = newStore();
    const b = newStore();
    await Promise.all([a.store.start(), b.store.start()]);
    sim.faults.compact();
    sim.faults.endWatches();
    const id = jti();
    await a.store.revoke(id, inAnHour());
    await eventually(() => b.store.isRevoked(id), 2000, 'B sees a revocation made after the compaction');
  });

  test('a failed write is reported and forgotten locally; the watch reconnects after an outage', async () => {
    const a = newStore();
    const b = newStore();
    await Promise.all([a.store.start(), b.store.start()]);
    await sim.faults.down();
    const lost = jti();
    try {
      await assert.rejects(a.store.revoke(lost, inAnHour()));
      assert.equal(a.store.isRevoked(lost), false);
    } finally {
      await sim.faults.up({ keepState: true });
    }
    const id = jti();
    await a.store.revoke(id, inAnHour());
    await eventually(() => b.store.isRevoked(id), 3000, 'B sees a revocation after the outage');
  });

  test('clean-up deletes markers over a minute past their expiry and keeps the others', async () => {
    const a = newStore();
    await a.store.start();
    const old = jti();
    const live = jti();
    await a.store.revoke(old, new Date(Date.now() - 120_000));
    await a.store.revoke(live, inAnHour());
    const deleted = await a.store.cleanup();
    assert.ok(deleted >= 1);
    const path = `/api/v1/namespaces/butler-system/configmaps/${REVOCATION_PREFIX}`;
    await assert.rejects(a.kube.request({ method: 'GET', path: `${path}${old}` }), (err) => isKubeStatus(err, 404));
    await a.kube.request({ method: 'GET', path: `${path}${live}` });
    assert.equal(a.store.isRevoked(live), true);
  });

  test('stop() ends the watch; start() before the first LIST is pending', async () => {
    await sim.faults.down();
    const a = newStore();
    const started = a.store.start();
    try {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(a.store.synced, false);
    } finally {
      await sim.faults.up({ keepState: true });
    }
    await started;
    assert.equal(a.store.synced, true);
    a.store.stop();
  });

  test('watchSession ends a session when another replica revokes it, or when it expires', async () => {
    const a = newStore();
    const b = newStore();
    await Promise.all([a.store.start(), b.store.start()]);
    const id = jti();
    const ends: string[] = [];
    const stop = watchSession(b.store, { jti: id, exp: Math.floor(Date.now() / 1000) + 3600 }, (why) => ends.push(why));
    const other = watchSession(b.store, { jti: jti(), exp: Math.floor(Date.now() / 1000) + 3600 }, (why) =>
      ends.push(`other ${why}`),
    );
    await a.store.revoke(id, inAnHour());
    await eventually(() => ends.length > 0, 2000, 'the revocation reaches the watcher');
    assert.deepEqual(ends, ['revoked']);
    stop();
    other();

    const expiring: string[] = [];
    watchSession(b.store, { jti: jti(), exp: Math.floor(Date.now() / 1000) + 1 }, (why) => expiring.push(why));
    await eventually(() => expiring.length > 0, 2500, 'the expiry timer fires');
    assert.deepEqual(expiring, ['expired']);

    const late: string[] = [];
    watchSession(b.store, { jti: id, exp: Math.floor(Date.now() / 1000) + 3600 }, (why) => late.push(why));
    await eventually(() => late.length > 0, 500, 'an already revoked session ends at once');
    assert.deepEqual(late, ['revoked']);
  });

  // Last: it wipes the simulator.
  test('after the API server comes back with new storage, revocations from other replicas still arrive', async () => {
    const a = newStore();
    const b = newStore();
    await Promise.all([a.store.start(), b.store.start()]);
    for (let i = 0; i < 10; i++) await a.store.revoke(jti(), inAnHour());
    await sim.faults.down();
    await sim.faults.up({ keepState: false, newStorage: true });
    // The new server's resourceVersions are far behind B's position: a resumed watch would stay silent.
    const id = jti();
    // A's first request may go out on a keep-alive connection the restart closed.
    await a.store.revoke(id, inAnHour()).catch(() => a.store.revoke(id, inAnHour()));
    await eventually(() => b.store.isRevoked(id), 5000, 'B sees a revocation stored on the new server');
  });
});
