// Two replicas on one management cluster (same JWT secret): a session from one works on the other, a logout on
// one is refused by the other within 2 s, and both serve REST and live updates of changes made through either.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startWorld, waitUntil, type World } from '../rbac/scenario.js';

let world: World;
let a: TestServer;
let b: TestServer;

before(async () => {
  world = await startWorld();
  const env = { BUTLER_JWT_SECRET: randomBytes(36).toString('base64') };
  a = await startTestServer({ sim: world.management, env });
  b = await startTestServer({ sim: world.management, env });
});
after(async () => {
  await a?.close();
  await b?.close();
  await world?.close();
});

const me = async (server: TestServer, token: string) =>
  (await fetch(`${server.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;

test('a logout on one replica is refused by the other within 2 s', async () => {
  const { token } = await a.login();
  assert.equal(await me(b, token), 200);
  const out = await fetch(`${a.url}/api/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(out.status, 200);
  assert.equal(await me(a, token), 401);
  const started = Date.now();
  let status = 0;
  await waitUntil(
    () => status === 401,
    2000,
    'replica B to refuse the revoked token',
    async () => {
      status = await me(b, token);
    },
  );
  assert.ok(Date.now() - started <= 2000);
});

test('a live socket on one replica sees a change made through the other; both serve it over REST', async () => {
  const { cookie, token } = await b.login();
  const frames: { type: string }[] = [];
  const ws = new WebSocket(`${b.url.replace('http', 'ws')}/ws/clusters`, { headers: { cookie, origin: b.url } });
  ws.on('message', (d) => frames.push(JSON.parse(String(d))));
  try {
    await waitUntil(() => frames.some((f) => f.type === 'snapshot'), 3000, 'the snapshot on B');
    const viaA = await a.login();
    const created = await fetch(`${a.url}/api/clusters`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viaA.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'replicated', providerConfigRef: 'pmx' }),
    });
    assert.equal(created.status, 201, await created.text());
    await waitUntil(
      () => frames.some((f) => f.type === 'cluster_update' && JSON.stringify(f).includes('replicated')),
      2000,
      'B to push the cluster created through A',
    );
    for (const [server, t] of [
      [a, viaA.token],
      [b, token],
    ] as const) {
      const res = await fetch(`${server.url}/api/clusters/butler-tenants/replicated`, {
        headers: { authorization: `Bearer ${t}` },
      });
      assert.equal(res.status, 200);
    }
  } finally {
    ws.terminate();
  }
});
