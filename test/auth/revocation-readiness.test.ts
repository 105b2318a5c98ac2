// Issue 13 (6): /readyz says when revocations from other replicas are not being received, and for how long (not
// ready past BUTLER_REVOCATION_STALE_AFTER); a logout whose revocation cannot be stored says why.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import type { RevocationHealth, RevocationStore } from '../../src/auth/revocations.js';
import { revocationReadiness } from '../../src/health/readiness.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { clearsCookie, send, startAuthSimulator } from './support.js';

let sim: Simulator;
const servers: TestServer[] = [];

before(async () => {
  sim = await startAuthSimulator();
});
after(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  await sim?.stop();
});

async function readyz(s: TestServer): Promise<{ status: number; json: any }> {
  const r = await send(s.url, 'GET', '/readyz');
  return { status: r.status, json: r.json };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the threshold: ready with the duration shown inside it, not ready past it', () => {
  const store = (health: RevocationHealth, synced = true) =>
    ({ synced, health: () => health }) as unknown as RevocationStore;
  const failing = (since: number) => store({ receiving: false, since, error: 'kubernetes API unavailable' });
  const now = 1_000_000;
  assert.equal(revocationReadiness(store({ receiving: true }), 15_000, now), null);
  assert.equal(revocationReadiness(store({ receiving: true }, false), 15_000, now), 'revocation store not synced');
  assert.deepEqual(revocationReadiness(failing(now - 4_500), 15_000, now), {
    ready: true,
    status: 'not received for 4s (kubernetes API unavailable)',
  });
  assert.equal(
    revocationReadiness(failing(now - 15_000), 15_000, now),
    'not received for 15s (kubernetes API unavailable)',
  );
});

test('a revocation watch that keeps failing makes /readyz not ready, saying for how long; logout says why it failed', async () => {
  const s = await startTestServer({ sim, env: { BUTLER_REVOCATION_STALE_AFTER: '2s' } });
  servers.push(s);
  const { cookie, token } = await s.login();
  assert.equal((await readyz(s)).json.checks.revocations, 'ok');

  // The API answers everything but the revocation markers' ConfigMaps; the open watch ends.
  sim.faults.failNext(1_000_000, { status: 503, path: '/namespaces/butler-system/configmaps' });
  sim.faults.endWatches();
  const stale = await until(
    '/readyz to be 503 because of the revocations',
    async () => {
      const r = await readyz(s);
      return r.status === 503 ? r : undefined;
    },
    20_000,
  );
  const m = /^not received for (\d+)s \(kubernetes API answered 503\)$/.exec(stale.json.checks.revocations);
  assert.ok(m, JSON.stringify(stale.json));
  assert.ok(Number(m[1]) >= 2, stale.json.checks.revocations);
  assert.equal(stale.json.checks.kubernetes, 'ok', 'only the revocations are the problem');

  const out = await send(s.url, 'POST', '/api/auth/logout', { headers: { cookie, origin: s.url } });
  assert.equal(out.status, 502, out.text);
  assert.deepEqual(out.json, {
    error: 'logout could not be recorded (kubernetes API unavailable); the session is still valid',
  });
  assert.ok(clearsCookie(out));
  const me = await send(s.url, 'GET', '/api/auth/me', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(me.status, 200, 'the session is still valid, as the answer says');
});

test('without the system namespace, logout answers 502 naming the missing namespace', async () => {
  const s = await startTestServer({ sim, env: { BUTLER_SYSTEM_NAMESPACE: 'absent-system' } });
  servers.push(s);
  const { cookie } = await s.login();
  const out = await send(s.url, 'POST', '/api/auth/logout', { headers: { cookie, origin: s.url } });
  assert.equal(out.status, 502, out.text);
  assert.deepEqual(out.json, {
    error: 'logout could not be recorded (namespace "absent-system" does not exist); the session is still valid',
  });
});
