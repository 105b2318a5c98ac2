// The logs of a scripted session contain no password, token or cookie value, and carry the audit lines.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { send, startAuthSimulator } from './support.js';

let sim: Simulator;
let server: TestServer;

before(async () => {
  sim = await startAuthSimulator();
  server = await startTestServer({ sim, env: { BUTLER_LOG_LEVEL: 'debug' } });
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

test('a scripted session logs no secret and audits logins and logout', async () => {
  const wrongPassword = 'wrong-Password-4711';
  const bad = await send(server.url, 'POST', '/api/auth/login', {
    body: { username: 'admin', password: wrongPassword },
  });
  assert.equal(bad.status, 401);
  const { token, cookie } = await server.login();
  const cookieValue = cookie.split('=')[1]!;
  assert.equal((await send(server.url, 'GET', '/api/auth/me', { headers: { cookie } })).status, 200);
  assert.equal(
    (await send(server.url, 'GET', '/api/auth/me', { headers: { authorization: `Bearer ${token}` } })).status,
    200,
  );
  assert.equal(
    (await send(server.url, 'GET', '/api/nope', { headers: { authorization: `Bearer ${token}` } })).status,
    404,
  );
  const forged = `${token.slice(0, -4)}AAAA`;
  assert.equal(
    (await send(server.url, 'GET', '/api/auth/me', { headers: { cookie: `butler_session=${forged}` } })).status,
    401,
  );
  const refreshed = await send(server.url, 'POST', '/api/auth/refresh', { headers: { cookie, origin: server.url } });
  assert.equal(refreshed.status, 200);
  const out = await send(server.url, 'POST', '/api/auth/logout', {
    headers: { authorization: `Bearer ${refreshed.json.token}` },
  });
  assert.equal(out.status, 200);
  await new Promise((r) => setTimeout(r, 50));

  const logs = server.logs.join('\n');
  assert.ok(server.logs.length > 0, 'the server logged something');
  for (const [what, secret] of [
    ['admin password', TEST_ADMIN_PASSWORD],
    ['wrong password', wrongPassword],
    ['token', token],
    ['token signature', token.split('.')[2]!],
    ['cookie value', cookieValue],
    ['forged token', forged],
    ['refreshed token', refreshed.json.token as string],
    ['jwt secret', server.config.auth.jwtSecret],
  ] as const) {
    assert.ok(!logs.includes(secret), `the logs contain the ${what}`);
  }

  const audits = server.logs.map((l) => JSON.parse(l)).filter((l) => l.audit === true);
  const events = audits.map((l) => `${l.event} ${l.user}`);
  for (const e of ['login.failure admin', 'login.success admin', 'refresh admin', 'logout admin']) {
    assert.ok(events.includes(e), `audit line ${e} missing: ${events.join(', ')}`);
  }
  for (const l of audits) assert.equal(l.address, '127.0.0.1');
});
