// Uniform errors for requests the HTTP parser refuses (431, 400), for client WebSocket protocol mistakes and for
// near-miss /ws paths: the one JSON error shape with the usual headers, and client mistakes logged at debug only,
// without a stack.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { butlerCrds } from '../../sim/crds.js';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { rawConnection, rawRequest } from '../helpers/http.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';

let sim: Simulator;
let server: TestServer;

before(async () => {
  sim = await startSimulator({
    crds: butlerCrds(),
    seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'butler-system' } }],
  });
  server = await startTestServer({ sim, env: { BUTLER_LOG_LEVEL: 'debug' } });
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

const parsed = () => server.logs.map((l) => JSON.parse(l) as { level: string; msg?: string; err?: unknown });
/** Log lines above debug that are about client mistakes, and any line with a stack. */
function noNoise(from: number, what: string): void {
  const lines = parsed().slice(from);
  const loud = lines.filter((l) => ['warn', 'error', 'fatal'].includes(l.level));
  assert.deepEqual(loud, [], `${what}: nothing at warn or above`);
  const stacks = server.logs.slice(from).filter((l) => l.includes('"stack"'));
  assert.deepEqual(stacks, [], `${what}: no stack in any line`);
}

async function exchange(bytes: string) {
  const c = await rawConnection(server.url);
  c.write(bytes);
  const answer = await Promise.race([
    c.closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('connection not closed in 10 s')), 10_000)),
  ]);
  return answer;
}

function assertUniform(a: Awaited<ReturnType<typeof exchange>>, status: number, error: string): void {
  assert.equal(a.status, status, a.raw.slice(0, 300));
  assert.deepEqual(a.json, { error });
  assert.equal(a.headers['content-type'], 'application/json; charset=utf-8');
  assert.match(String(a.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.equal(a.headers['cache-control'], 'no-store');
  assert.equal(a.headers['x-content-type-options'], 'nosniff');
  assert.equal(a.headers.connection, 'close');
}

test('headers over the limit: 431 in the one error shape, the connection closed', async () => {
  const from = server.logs.length;
  const a = await exchange(`GET /api/auth/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assertUniform(a, 431, 'request headers too large');
  noNoise(from, '431');
  await waitFor(
    () =>
      parsed()
        .slice(from)
        .some((l) => l.level === 'debug' && l.msg === 'request headers too large'),
    2000,
    'a debug line',
  );
});

test('Content-Length together with Transfer-Encoding, and garbage: 400 in the one error shape', async () => {
  const from = server.logs.length;
  const both = await exchange(
    'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
  );
  assertUniform(both, 400, 'malformed HTTP request');
  const garbage = await exchange('HELLO THERE\r\n\r\n');
  assertUniform(garbage, 400, 'malformed HTTP request');
  noNoise(from, '400');
});

test('a 5 KB frame on an unauthenticated /ws/clusters closes it with 1009 and logs no error, no stack', async () => {
  const from = server.logs.length;
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws/clusters`, { perMessageDeflate: false });
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send('x'.repeat(5 * 1024));
  assert.equal(await closed, 1009);
  await waitFor(
    () =>
      parsed()
        .slice(from)
        .some((l) => l.msg === 'websocket closed for a client error'),
    2000,
    'the debug line',
  );
  noNoise(from, '5 KB frame');
});

test('/ws/clusters/ and /ws//clusters answer like other unknown /ws paths: 401 without a session, 404 with one', async () => {
  const { token } = await server.login();
  for (const path of ['/ws/clusters/', '/ws//clusters', '/ws/nothing', '/ws/clusters%2F', '/api//auth/login']) {
    for (const upgrade of [false, true]) {
      const headers: Record<string, string> = upgrade
        ? {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          }
        : {};
      const method = path.startsWith('/api') ? 'POST' : 'GET';
      const anonymous = await rawRequest(server.url, method, path, { headers });
      assert.deepEqual([anonymous.status, anonymous.json], [401, { error: 'unauthorized' }], `${path} anonymous`);
      assert.ok(anonymous.headers['x-request-id'], `${path}: x-request-id`);
      const withSession = await rawRequest(server.url, method, path, {
        headers: { ...headers, authorization: `Bearer ${token}` },
      });
      assert.equal(withSession.status, 404, `${path} with a session: ${withSession.text}`);
      assert.match(withSession.json.error, /^no such endpoint: /);
    }
  }
  // The real paths keep working.
  const plain = await rawRequest(server.url, 'GET', '/ws/clusters');
  assert.equal(plain.status, 426);
});
