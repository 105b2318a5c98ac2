// /ws/clusters protocol (docs/api.md §6.2) against the real server and the simulator.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { butlerCrds } from '../../sim/crds.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { describeState, LiveClient, wsUrl } from './live-client.js';
import { SimApi, sleep, SYSTEM_NAMESPACE, until } from './fixtures.js';

const UNAUTH_TIMEOUT_MS = 600;
const EVENT_BUFFER = 8;

let sim: Simulator;
let api: SimApi;
let server: TestServer;
const clients: LiveClient[] = [];

async function connect(o: Parameters<typeof LiveClient.connect>[1] = {}): Promise<LiveClient> {
  const c = await LiveClient.connect(server.url, o);
  clients.push(c);
  return c;
}

async function converged(c: LiveClient, timeoutMs = 5000): Promise<void> {
  const want = await api.state();
  await c.waitFor('the simulator state', () => describeState(c.state).join() === want.join(), timeoutMs);
}

before(async () => {
  sim = await startSimulator({ crds: butlerCrds(), seed: [SYSTEM_NAMESPACE], bookmarkIntervalMs: 200 });
  api = new SimApi(sim);
  await api.namespace('team-a');
  await api.namespace('team-b');
  server = await startTestServer({
    sim,
    env: {
      BUTLER_WS_UNAUTH_TIMEOUT: `${UNAUTH_TIMEOUT_MS}ms`,
      BUTLER_WS_UNAUTH_MAX_PER_ADDRESS: '3',
      BUTLER_WS_EVENT_BUFFER: String(EVENT_BUFFER),
    },
  });
  assert.ok(await server.services.clusterCache.waitForSync(5000));
});

after(async () => {
  for (const c of clients) c.close();
  await server?.close();
  await sim?.stop();
});

test('authenticated: snapshot first (sorted), then updates and deletes in watch order', async () => {
  await api.create('team-b', 'snap-1');
  await api.create('team-a', 'snap-2');
  const { cookie } = await server.login();
  await until('cache has both', () => server.services.clusterCache.list().length >= 2);
  const c = await connect({ cookie, origin: server.url });
  await c.waitFor('snapshot', () => c.types.length > 0);
  assert.equal(c.types[0], 'snapshot');
  assert.deepEqual([...c.state.keys()], ['team-a/snap-2', 'team-b/snap-1']);
  assert.ok(c.lastResourceVersion, 'snapshot carries a resourceVersion');

  await api.create('team-a', 'snap-3', 2);
  await api.scale('team-a', 'snap-2', 4);
  await api.remove('team-b', 'snap-1');
  await converged(c);
  // Cluster frames in watch order; `notification` messages (the deletion) come beside them.
  assert.deepEqual(
    c.types.filter((t) => t !== 'notification'),
    ['snapshot', 'cluster_update', 'cluster_update', 'cluster_delete'],
  );
  await api.removeAll();
  await converged(c);
});

test('Bearer token works too; JSON ping gets pong; a message over 4 KiB closes with 1009', async () => {
  const { token } = await server.login();
  const c = await connect({ token });
  await c.waitFor('snapshot', () => c.types.includes('snapshot'));
  c.ws.send(JSON.stringify({ type: 'ping' }));
  await c.waitFor('pong', () => c.types.includes('pong'));
  c.ws.send('not json');
  const exactly4KiB = JSON.stringify({ type: 'other', pad: '' });
  c.ws.send(exactly4KiB.replace('""', `"${'x'.repeat(4096 - exactly4KiB.length)}"`));
  c.ws.send(JSON.stringify({ type: 'ping' }));
  await c.waitFor('second pong', () => c.types.filter((t) => t === 'pong').length === 2);
  c.ws.send('x'.repeat(4097));
  assert.equal((await c.closed).code, 1009);
});

test('foreign Origin gets 403 JSON before any upgrade; a plain GET gets 426 JSON', async () => {
  const { cookie } = await server.login();
  await assert.rejects(
    connect({ cookie, origin: 'https://evil.example' }),
    (err: { status?: number; body?: string }) => {
      assert.equal(err.status, 403);
      assert.ok(JSON.parse(err.body ?? '{}').error);
      return true;
    },
  );
  const res = await fetch(`${server.url}/ws/clusters`, { headers: { cookie } });
  assert.equal(res.status, 426);
  assert.equal(((await res.json()) as { error: string }).error, 'websocket upgrade required');
});

test('resume with the last resourceVersion replays exactly the missed changes', async () => {
  const { cookie } = await server.login();
  await api.create('team-a', 'resume-1');
  await api.create('team-a', 'resume-2');
  const first = await connect({ cookie });
  await converged(first);
  const lastRv = first.lastResourceVersion;
  const stateBefore = new Map(first.state);
  first.close();
  await first.closed;

  await api.scale('team-a', 'resume-1', 3);
  await api.remove('team-a', 'resume-2');
  await api.create('team-b', 'resume-3');
  const want = await api.state();
  await until('the server cache', () => server.services.clusterCache.list().length === want.length);

  const again = await connect({ cookie, resourceVersion: lastRv, state: stateBefore });
  await again.waitFor('the missed changes', () => again.types.length === 3);
  await sleep(100);
  assert.deepEqual(again.types, ['cluster_update', 'cluster_delete', 'cluster_update']);
  assert.deepEqual(describeState(again.state), want);

  // Resuming at the current position: nothing to replay, and later changes still arrive.
  const current = await connect({ cookie, resourceVersion: again.lastResourceVersion, state: again.state });
  await api.scale('team-b', 'resume-3', 2);
  await converged(current);
  assert.deepEqual(current.types, ['cluster_update']);
  await api.removeAll();
});

test('resume from a version that is too old, evicted, malformed or ahead gets resync', async () => {
  const { cookie } = await server.login();
  const probe = await connect({ cookie });
  await probe.waitFor('snapshot', () => probe.types.length > 0);
  const old = probe.lastResourceVersion;
  // More changes than the replay buffer keeps.
  for (let i = 0; i < EVENT_BUFFER + 2; i++) await api.create('team-a', `evict-${i}`);
  await converged(probe);
  for (const rv of [old, '1', 'abc', String(BigInt(probe.lastResourceVersion) + 1000n)]) {
    const c = await connect({ cookie, resourceVersion: rv });
    await c.waitFor('first frame', () => c.types.length > 0);
    assert.equal(c.types[0], 'resync', `resourceVersion=${rv}`);
    await converged(c);
    c.close();
  }
  await api.removeAll();
});

test('unauthenticated: no cluster data, pongs only, closed with 4401 after the timeout', async () => {
  await api.create('team-a', 'secret-1');
  const started = Date.now();
  const anonymous = await connect({ origin: server.url });
  const badToken = await connect({ cookie: 'butler_session=not-a-jwt' });
  anonymous.ws.send(JSON.stringify({ type: 'ping' }));
  await api.scale('team-a', 'secret-1', 2);
  const [a, b] = await Promise.all([anonymous.closed, badToken.closed]);
  const elapsed = Date.now() - started;
  assert.equal(a.code, 4401);
  assert.equal(b.code, 4401);
  assert.ok(elapsed >= UNAUTH_TIMEOUT_MS - 50 && elapsed < UNAUTH_TIMEOUT_MS + 1500, `closed after ${elapsed} ms`);
  assert.deepEqual(anonymous.types, ['pong']);
  assert.deepEqual(badToken.types, []);
  await api.removeAll();
});

test('unauthenticated sockets beyond the per-address cap get 503', async () => {
  const open = await Promise.all([connect(), connect(), connect()]);
  await assert.rejects(connect(), (err: { status?: number }) => err.status === 503);
  // An authenticated socket is not capped by this limit.
  const { cookie } = await server.login();
  const authed = await connect({ cookie });
  await authed.waitFor('snapshot', () => authed.types.includes('snapshot'));
  await Promise.all(open.map((c) => c.closed));
  const again = await connect();
  assert.ok(again.open);
  again.close();
});

test('logout closes that session’s sockets with 4401 within 2 s; other sessions stay open', async () => {
  const one = await server.login();
  const two = await server.login();
  const a1 = await connect({ cookie: one.cookie });
  const a2 = await connect({ token: one.token });
  const b = await connect({ cookie: two.cookie });
  await Promise.all([a1, a2, b].map((c) => c.waitFor('snapshot', () => c.types.includes('snapshot'))));

  const t0 = Date.now();
  const res = await fetch(`${server.url}/api/auth/logout`, {
    method: 'POST',
    headers: { cookie: one.cookie, origin: server.url, 'content-type': 'application/json' },
  });
  assert.equal(res.status, 200);
  const closes = await Promise.all([a1.closed, a2.closed]);
  assert.ok(Date.now() - t0 < 2000, `closed after ${Date.now() - t0} ms`);
  assert.deepEqual(
    closes.map((c) => c.code),
    [4401, 4401],
  );
  assert.ok(b.open);
  await api.create('team-b', 'after-logout');
  await converged(b);
  assert.ok(b.open);
  // The revoked token no longer gets data: its new socket is data-less.
  const revoked = await connect({ cookie: one.cookie });
  await sleep(150);
  assert.deepEqual(revoked.types, []);
  revoked.close();
  await api.removeAll();
});

test('a console-like client (connects before login, retries 1,2,4,8,16 s scaled down) ends up receiving updates', async () => {
  const delays = [1, 2, 4, 8, 16].map((s) => s * 50);
  // The browser's cookie jar: empty until the login.
  const jar: { cookie?: string } = {};
  let current: LiveClient | undefined;
  let attempt = 0;
  let stopped = false;
  const connects: ('anonymous' | 'cookie')[] = [];
  const open = async (): Promise<void> => {
    if (stopped) return;
    try {
      const c = await LiveClient.connect(server.url, { cookie: jar.cookie, origin: server.url });
      clients.push(c);
      connects.push(jar.cookie ? 'cookie' : 'anonymous');
      current = c;
      attempt = 0;
      void c.closed.then(retry);
    } catch {
      await retry();
    }
  };
  const retry = async () => {
    if (stopped || attempt >= delays.length) return;
    await sleep(delays[attempt++]!);
    await open();
  };
  await open();
  assert.deepEqual(connects, ['anonymous']);
  await sleep(100);
  jar.cookie = (await server.login()).cookie;
  await until(
    'an authenticated snapshot',
    () => current?.types.includes('snapshot') === true,
    UNAUTH_TIMEOUT_MS + 3000,
  );
  assert.equal(connects.at(-1), 'cookie');
  await api.create('team-a', 'console-sees-this');
  await converged(current!);
  stopped = true;
  current!.close();
  await api.removeAll();
});

test('session expiry closes the socket with 4401', async () => {
  const short = await startTestServer({ sim, env: { BUTLER_TOKEN_TTL: '2s' } });
  try {
    const { cookie } = await short.login();
    const c = await LiveClient.connect(short.url, { cookie });
    clients.push(c);
    await c.waitFor('snapshot', () => c.types.includes('snapshot'));
    const t0 = Date.now();
    const { code } = await c.closed;
    assert.equal(code, 4401);
    assert.ok(Date.now() - t0 <= 2500);
  } finally {
    await short.close();
  }
});

test('server shutdown closes sockets with 1001', async () => {
  const other = await startTestServer({ sim });
  const { cookie } = await other.login();
  const c = await LiveClient.connect(other.url, { cookie });
  clients.push(c);
  const anonymous = await LiveClient.connect(other.url);
  clients.push(anonymous);
  await c.waitFor('snapshot', () => c.types.includes('snapshot'));
  await other.close();
  assert.equal((await c.closed).code, 1001);
  assert.equal((await anonymous.closed).code, 1001);
});

test('a raw ws client sees text frames only', async () => {
  const { cookie } = await server.login();
  const ws = new WebSocket(wsUrl(server.url), { headers: { cookie } });
  const binary = await new Promise<boolean>((resolve, reject) => {
    ws.once('message', (_d, isBinary) => resolve(isBinary));
    ws.once('error', reject);
  });
  assert.equal(binary, false);
  ws.terminate();
});

test('a socket opened before the cache’s first sync waits for it, then gets its snapshot', async () => {
  await api.create('team-a', 'before-sync');
  // The new server's first LISTs fail for a while (backoff), so it serves before its cache has synced.
  sim.faults.failNext(4, { status: 500, path: /^\/apis\/butler\.butlerlabs\.dev\/v1alpha1\/tenantclusters$/ });
  const late = await startTestServer({ sim, waitForSync: false });
  try {
    // Sessions need the revocation store; the cluster cache is still failing.
    await until('the revocation store', () => late.services.revocations.synced);
    const { cookie } = await late.login();
    const c = await LiveClient.connect(late.url, { cookie });
    clients.push(c);
    assert.equal(late.services.clusterCache.synced, false, 'connected before the first sync');
    await c.waitFor('snapshot', () => c.types.length > 0, 10_000);
    assert.equal(c.types[0], 'snapshot');
    assert.ok(c.state.has('team-a/before-sync'));
  } finally {
    await late.close();
    await api.removeAll();
  }
});

test('protocol pings: a peer that answers stays, one that never answers is terminated after two intervals', async () => {
  const pinging = await startTestServer({ sim, env: { BUTLER_WS_PING_INTERVAL: '200ms' } });
  try {
    const { cookie } = await pinging.login();
    const healthy = await LiveClient.connect(pinging.url, { cookie });
    clients.push(healthy);
    let pings = 0;
    healthy.ws.on('ping', () => pings++);
    const silent = new WebSocket(wsUrl(pinging.url), { headers: { cookie }, autoPong: false });
    silent.on('error', () => undefined);
    const silentClosed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
    await new Promise((resolve) => silent.once('open', resolve));
    const t0 = Date.now();
    const code = await silentClosed;
    const elapsed = Date.now() - t0;
    assert.equal(code, 1006, 'terminated without a close handshake');
    assert.ok(elapsed >= 350 && elapsed < 3000, `terminated after ${elapsed} ms`);
    assert.ok(pings >= 2, `healthy client got ${pings} pings`);
    assert.ok(healthy.open);
  } finally {
    await pinging.close();
  }
});
