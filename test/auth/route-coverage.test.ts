// Every registered route outside the public allow-list answers 401 without a session, so routes added later are
// covered automatically.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { send, startAuthSimulator } from './support.js';

/** Routes that are public on purpose, with the reason. Anything else under /api or /ws must answer 401. */
const PUBLIC_ROUTES: Record<string, string> = {
  'POST /api/auth/login': 'logging in needs no session (docs/api.md §2.1)',
  'POST /api/auth/login/legacy': 'the bootstrap admin login of old clients',
  'GET /api/auth/providers': 'the login page lists the ways to log in before anyone is logged in',
  'GET /api/auth/login/sso': 'starts single sign-on',
  'GET /api/auth/callback': 'the identity provider redirects the browser back here',
  'GET /api/auth/invite/:token': 'an invited user checks the invite link before having a password',
  'POST /api/auth/set-password': 'an invited user sets the first password with the invite token',
  'POST /api/auth/logout':
    'logging out without a session succeeds (clears the cookie, revokes nothing): test/auth/logout.test.ts',
  'GET /ws/clusters':
    'data-less public mode for the console before login (docs/api.md §6.2); the route refuses data itself',
  'HEAD /ws/clusters': 'as GET /ws/clusters',
};
/** Routes outside /api and /ws that are public on purpose. */
const PUBLIC_OPERATIONS = new Set(['/healthz', '/readyz', '/*', '/']);

const concretePath = (url: string) =>
  url
    .replace(/:[A-Za-z0-9_]+(\([^)]*\))?/g, 'x1')
    .replace(/\*$/, 'x1')
    .replace(/^$/, '/');

/** "METHOD /path" for every route in Fastify's own route tree, to prove the registry misses none. */
function routesFromTree(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(\S+)(?: \(([^)]+)\))?\s*$/.exec(line);
    if (!m) continue;
    const depth = Math.floor(m[1]!.length / 4);
    stack[depth] = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
    stack.length = depth + 1;
    for (const method of m[3]?.split(',').map((x) => x.trim()) ?? []) out.push(`${method} ${stack[depth]}`);
  }
  return out;
}

let sim: Simulator;
let server: TestServer;

before(async () => {
  sim = await startAuthSimulator();
  server = await startTestServer({ sim });
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

test('every registered /api and /ws route (and /metrics) answers 401 JSON without a session', async () => {
  const routes = server.app.registeredRoutes;
  const seen = new Set(routes.map((r) => `${r.method} ${r.url}`));
  for (const must of ['POST /api/auth/login', 'POST /api/auth/logout', 'POST /api/auth/refresh', 'GET /api/auth/me']) {
    assert.ok(seen.has(must), `route registry misses ${must}`);
  }
  const fromTree = routesFromTree(server.app.printRoutes({ commonPrefix: false }));
  assert.ok(fromTree.length >= 4, 'the route tree was parsed');
  for (const route of fromTree) {
    // Fastify prints a wildcard route's node as a bare `*` without its prefix: match it to a registered wildcard.
    const [method, url] = route.split(' ');
    const known = url === '*' ? routes.some((r) => r.method === method && r.url.endsWith('*')) : seen.has(route);
    assert.ok(known, `route ${route} is not in the registry (added before authPlugin?)`);
  }
  let checked = 0;
  for (const r of routes) {
    const key = `${r.method} ${r.url}`;
    if (PUBLIC_ROUTES[key] || (r.method === 'HEAD' && PUBLIC_ROUTES[`GET ${r.url}`])) continue;
    const inApiSpace = /^\/(api|ws)(\/|$)/.test(r.url) || r.url === '/metrics';
    if (!inApiSpace) {
      assert.ok(PUBLIC_OPERATIONS.has(r.url), `route ${key} is outside /api and /ws: classify it in this test`);
      continue;
    }
    const path = concretePath(r.url);
    const a = await send(server.url, r.method, path, {
      headers: { 'content-type': 'application/json', origin: server.url },
      body: ['POST', 'PUT', 'PATCH'].includes(r.method) ? {} : undefined,
    });
    assert.equal(a.status, 401, `${r.method} ${path} (route ${r.url}) answered ${a.status}: ${a.text}`);
    checked++;
    if (r.method === 'HEAD') continue;
    // /metrics has its own rule (session or metrics token, docs/api.md §8) and so its own 401 text.
    if (r.url === '/metrics') assert.equal(typeof a.json?.error, 'string', `${r.method} ${path}`);
    // The Kubernetes API proxy answers its own errors as Kubernetes Status objects (for kubectl).
    else if (r.url.startsWith('/api/proxy/'))
      assert.deepEqual(
        [a.json?.kind, a.json?.code, a.json?.message],
        ['Status', 401, 'unauthorized'],
        `${r.method} ${path}`,
      );
    else assert.deepEqual(a.json, { error: 'unauthorized' }, `${r.method} ${path}`);
  }
  assert.ok(checked >= 3, `only ${checked} routes checked`);
});

test('unknown /api and /ws paths and wrong methods answer 401 before 404/405', async () => {
  for (const [method, path] of [
    ['GET', '/api/no-such-thing'],
    ['DELETE', '/api/auth/me'],
    ['GET', '/api'],
    ['POST', '/api//auth/me'],
    ['GET', '/%61pi/auth/me'],
    ['GET', '/ws/no-such-socket'],
  ] as const) {
    const a = await send(server.url, method, path);
    assert.equal(a.status, 401, `${method} ${path}: ${a.status} ${a.text}`);
    assert.deepEqual(a.json, { error: 'unauthorized' });
  }
});

test('the public routes stay public', async () => {
  assert.equal((await send(server.url, 'GET', '/healthz')).status, 200);
  const bad = await send(server.url, 'POST', '/api/auth/login', { body: { username: 'admin', password: 'wrong' } });
  assert.equal(bad.status, 401);
  assert.deepEqual(bad.json, { error: 'Invalid email or password' });
});

/** Outcome of a WebSocket upgrade without a session: an HTTP status, or the close code and text after an upgrade. */
function upgradeWithoutSession(url: string): Promise<{ status?: number; close?: number; text: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let text = '';
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, text });
      res.resume();
      ws.terminate();
    });
    ws.on('message', (data) => (text += data.toString()));
    ws.on('close', (code) => resolve({ close: code, text }));
    ws.on('error', () => undefined);
  });
}

test('WebSocket upgrades without a session are refused (except /ws/clusters)', async () => {
  const wsRoutes = server.app.registeredRoutes.filter(
    (r) => r.websocket && r.method === 'GET' && !PUBLIC_ROUTES[`GET ${r.url}`],
  );
  // Paths no route serves yet are refused too (before any 404), so the loop never checks nothing.
  const paths = [...wsRoutes.map((r) => concretePath(r.url)), '/ws/terminal/management', '/ws/no-such-socket'];
  for (const path of paths) {
    const url = `${server.url.replace('http', 'ws')}${path}`;
    const outcome = await upgradeWithoutSession(url);
    if (path.startsWith('/ws/terminal/')) {
      // docs/api.md §6.3: the terminal upgrades, then says why in one red line and closes with 4401.
      assert.equal(outcome.close, 4401, url);
      assert.match(outcome.text, /\x1b\[31mnot logged in or session expired/, url);
    } else {
      assert.equal(outcome.status, 401, url);
    }
  }
});

test('a plain GET of a terminal path without a session is 401 JSON', async () => {
  const res = await send(server.url, 'GET', '/ws/terminal/management');
  assert.equal(res.status, 401);
  assert.deepEqual(res.json, { error: 'unauthorized' });
});
