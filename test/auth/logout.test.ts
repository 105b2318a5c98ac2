// Logout really ends the session: on this replica, after a restart, and on another replica within 2 s.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { clearsCookie, randomSecret, send, startAuthSimulator } from './support.js';

let sim: Simulator;
const secret = randomSecret();
const servers: TestServer[] = [];
const start = async (opts: { waitForSync?: boolean } = {}) => {
  const s = await startTestServer({ sim, env: { BUTLER_JWT_SECRET: secret }, ...opts });
  servers.push(s);
  return s;
};

before(async () => {
  sim = await startAuthSimulator();
});
after(async () => {
  for (const s of servers) await s.close().catch(() => undefined);
  await sim?.stop();
});

const me = (s: TestServer, token: string) =>
  send(s.url, 'GET', '/api/auth/me', { headers: { authorization: `Bearer ${token}` } });

test('after logout the token is refused here, by another replica within 2 s, and after a restart', async () => {
  const a = await start();
  const b = await start();
  const { token, cookie } = await a.login();
  assert.equal((await me(b, token)).status, 200, 'replicas share the secret');

  const out = await send(a.url, 'POST', '/api/auth/logout', {
    headers: { cookie, origin: a.url, 'content-type': 'application/json' },
  });
  assert.equal(out.status, 200, out.text);
  assert.deepEqual(out.json, { status: 'logged_out', message: 'logged out' });
  assert.ok(clearsCookie(out), 'logout clears the cookie');

  const here = await me(a, token);
  assert.deepEqual([here.status, here.json], [401, { error: 'session revoked; please log in again' }]);

  const began = Date.now();
  let last = 0;
  while (Date.now() - began < 2000) {
    last = (await me(b, token)).status;
    if (last === 401) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(last, 401, 'the other replica refuses the token within 2 s');

  await a.close();
  const restarted = await start();
  const after = await me(restarted, token);
  assert.deepEqual([after.status, after.json], [401, { error: 'session revoked; please log in again' }]);
  // Logging out again (a revoked, a forged or no token): succeeds and clears the cookie, revoking nothing.
  for (const headers of [
    { authorization: `Bearer ${token}` },
    { cookie: 'butler_session=forged', origin: restarted.url },
    {},
  ] as Record<string, string>[]) {
    const again = await send(restarted.url, 'POST', '/api/auth/logout', { headers });
    assert.deepEqual([again.status, again.json], [200, { status: 'logged_out', message: 'no session' }]);
    assert.ok(clearsCookie(again), 'the cookie is cleared');
  }
  assert.equal((await me(restarted, token)).status, 401, 'still refused');
});

test('refresh issues a new token and revokes the old one', async () => {
  const s = await start();
  const { token } = await s.login();
  const r = await send(s.url, 'POST', '/api/auth/refresh', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, r.text);
  assert.notEqual(r.json.token, token);
  assert.equal(r.json.status, 'refreshed');
  assert.deepEqual(
    [r.json.user.username, r.json.user.role, r.json.user.email],
    ['admin', 'admin', 'admin@butler.local'],
  );
  assert.equal((await me(s, r.json.token)).status, 200);
  assert.equal((await me(s, token)).status, 401);
});

test('when the revocation cannot be stored: 502, cookie cleared, and the session is still valid', async () => {
  const s = await start();
  const { token, cookie } = await s.login();
  await sim.faults.down();
  let out;
  try {
    out = await send(s.url, 'POST', '/api/auth/logout', { headers: { cookie, origin: s.url } });
  } finally {
    await sim.faults.up({ keepState: true });
  }
  assert.equal(out.status, 502, out.text);
  assert.deepEqual(out.json, {
    error: 'logout could not be recorded (kubernetes API unavailable); the session is still valid',
  });
  assert.ok(clearsCookie(out));
  assert.equal((await me(s, token)).status, 200);
});

test('until the revocation store has synced, authenticated requests get 503 session store not ready', async () => {
  const s = await start();
  const { token } = await s.login();
  await sim.faults.down();
  let fresh: TestServer | undefined;
  try {
    fresh = await start({ waitForSync: false });
    const a = await me(fresh, token);
    assert.deepEqual([a.status, a.json], [503, { error: 'session store not ready' }]);
    const none = await send(fresh.url, 'GET', '/api/auth/me');
    assert.equal(none.status, 401, 'no credentials is still 401');
  } finally {
    await sim.faults.up({ keepState: true });
  }
  const began = Date.now();
  // Sessions need the revocation store and the user and team caches (per-request roles).
  const ready = () => fresh!.services.revocations.synced && fresh!.services.identity.synced;
  while (!ready() && Date.now() - began < 15_000) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await me(fresh, token)).status, 200);
});
