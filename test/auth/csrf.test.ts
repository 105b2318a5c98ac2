// The CSRF rule: cookie-authenticated writes need an allowed Origin (or Referer); Bearer requests are exempt.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { send, startAuthSimulator } from './support.js';

const ALLOWED = 'https://console.example.test';
let sim: Simulator;
let server: TestServer;

before(async () => {
  sim = await startAuthSimulator();
  server = await startTestServer({ sim, env: { BUTLER_ALLOWED_ORIGINS: ALLOWED } });
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

const refresh = (headers: Record<string, string>) =>
  send(server.url, 'POST', '/api/auth/refresh', { headers: { 'content-type': 'application/json', ...headers } });

test('cookie POST with a foreign Origin → 403; same origin, listed origin and same-origin Referer are accepted', async () => {
  const { cookie } = await server.login();
  const foreign = await refresh({ cookie, origin: 'https://evil.example' });
  assert.deepEqual([foreign.status, foreign.json], [403, { error: 'cross-origin request refused' }]);
  const nullOrigin = await refresh({ cookie, origin: 'null' });
  assert.equal(nullOrigin.status, 403);
  const otherPort = await refresh({ cookie, origin: server.url.replace(/:(\d+)$/, (_m, p) => `:${Number(p) + 1}`) });
  assert.equal(otherPort.status, 403);
  const noOrigin = await refresh({ cookie });
  assert.equal(noOrigin.status, 403, 'a cookie write without Origin or Referer is refused');
  const foreignReferer = await refresh({ cookie, referer: 'https://evil.example/page' });
  assert.equal(foreignReferer.status, 403);

  // Still logged in: the refused requests changed nothing.
  const same = await refresh({ cookie, origin: server.url });
  assert.equal(same.status, 200, same.text);
  const c2 = `butler_session=${same.json.token}`;
  const listed = await refresh({ cookie: c2, origin: ALLOWED });
  assert.equal(listed.status, 200, listed.text);
  const c3 = `butler_session=${listed.json.token}`;
  const referer = await refresh({ cookie: c3, referer: `${server.url}/clusters` });
  assert.equal(referer.status, 200, referer.text);
  const c4 = `butler_session=${referer.json.token}`;
  const read = await send(server.url, 'GET', '/api/auth/me', {
    headers: { cookie: c4, origin: 'https://evil.example' },
  });
  assert.equal(read.status, 200, 'reads are not subject to the rule');
});

test('Bearer requests with a foreign Origin are accepted', async () => {
  const { token } = await server.login();
  const a = await refresh({ authorization: `Bearer ${token}`, origin: 'https://evil.example' });
  assert.equal(a.status, 200, a.text);
});

test('login from a foreign Origin is refused (login CSRF)', async () => {
  const a = await send(server.url, 'POST', '/api/auth/login', {
    headers: { origin: 'https://evil.example' },
    body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
  });
  assert.deepEqual([a.status, a.json], [403, { error: 'cross-origin request refused' }]);
  const ok = await send(server.url, 'POST', '/api/auth/login', {
    headers: { origin: server.url },
    body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
  });
  assert.equal(ok.status, 200);
});
