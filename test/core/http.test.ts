// HTTP conventions of docs/api.md §1 through the production app: body rules, errors, /api 404/405 after auth,
// request ids, API headers, request logs, health.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { Simulator } from '../../sim/index.js';
import { startButlerSimulator } from '../helpers/sim.js';
import { rawRequest } from '../helpers/http.js';
import { startTestServer, TEST_ADMIN_PASSWORD, waitFor, type TestServer } from '../helpers/server.js';

let sim: Simulator;
let server: TestServer;
let auth: { token: string; cookie: string };
const bearer = () => ({ authorization: `Bearer ${auth.token}` });

before(async () => {
  sim = await startButlerSimulator();
  server = await startTestServer({
    sim,
    beforeListen: (app) => {
      // Routes only this test adds, to reach the error handler's validation and fault branches.
      app.post(
        '/api/test-only/validated',
        {
          config: { accessRule: { kind: 'session' } },
          schema: {
            // Route schemas are TypeBox schemas: the app's validator compiler (src/app.ts) takes no plain JSON Schema.
            body: Type.Object({ name: Type.String({ minLength: 1 }), count: Type.Optional(Type.Integer()) }),
          },
        },
        async () => ({ ok: true }),
      );
      app.get('/api/test-only/kube', { config: { accessRule: { kind: 'session' } } }, async () => {
        await server.services.kube.request({ method: 'GET', path: '/version', timeoutMs: 300 });
        return { ok: true };
      });
      app.get('/api/test-only/fault', { config: { accessRule: { kind: 'session' } } }, async () => {
        throw new Error('database exploded: secret detail');
      });
    },
  });
  auth = await server.login();
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

describe('/api 404 and 405 are decided after authentication', () => {
  test('without a session: 401 for unknown paths and wrong methods', async () => {
    for (const [method, path] of [
      ['GET', '/api/foo'],
      ['DELETE', '/api/auth/me'],
      ['GET', '/api'],
    ] as const) {
      const r = await rawRequest(server.url, method, path);
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.deepEqual(r.json, { error: 'unauthorized' });
    }
  });

  test('with a session: 404 names the endpoint, 405 carries Allow', async () => {
    const r404 = await rawRequest(server.url, 'GET', '/api/foo?x=1', { headers: bearer() });
    assert.equal(r404.status, 404);
    assert.deepEqual(r404.json, { error: 'no such endpoint: GET /api/foo' });
    assert.match(String(r404.headers['content-type']), /^application\/json/);

    const r405 = await rawRequest(server.url, 'DELETE', '/api/auth/me', { headers: bearer() });
    assert.equal(r405.status, 405);
    assert.deepEqual(r405.json, { error: 'method not allowed' });
    assert.match(String(r405.headers.allow), /\bGET\b/);
    assert.doesNotMatch(String(r405.headers.allow), /DELETE/);

    const ws404 = await rawRequest(server.url, 'GET', '/ws/nothing-here', { headers: bearer() });
    assert.equal(ws404.status, 404);
    assert.deepEqual(ws404.json, { error: 'no such endpoint: GET /ws/nothing-here' });
  });

  test('the public login path answers 405 without a session', async () => {
    const r = await rawRequest(server.url, 'GET', '/api/auth/login');
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'POST');
  });
});

describe('request bodies', () => {
  const json = { 'content-type': 'application/json' };

  test('an empty body with Content-Type application/json is accepted on every method', async () => {
    const me = await rawRequest(server.url, 'GET', '/api/auth/me', { headers: { ...bearer(), ...json } });
    assert.equal(me.status, 200, me.text);
    const del = await rawRequest(server.url, 'DELETE', '/api/foo', { headers: { ...bearer(), ...json } });
    assert.equal(del.status, 404, del.text);
    const session = await server.login();
    const logout = await rawRequest(server.url, 'POST', '/api/auth/logout', {
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json; charset=utf-8' },
      body: '',
    });
    assert.equal(logout.status, 200, logout.text);
    assert.deepEqual(logout.json, { status: 'logged_out', message: 'logged out' });
  });

  test('malformed JSON and non-objects are 400 without parser internals', async () => {
    for (const [body, error] of [
      ['{"username": ', 'invalid JSON body'],
      ['{bad}', 'invalid JSON body'],
      ['[1,2]', 'request body must be a JSON object'],
      ['"text"', 'request body must be a JSON object'],
      ['null', 'request body must be a JSON object'],
      ['42', 'request body must be a JSON object'],
    ]) {
      const r = await rawRequest(server.url, 'POST', '/api/auth/login', { headers: json, body });
      assert.equal(r.status, 400, body);
      assert.deepEqual(r.json, { error }, body);
    }
  });

  test('a non-empty body of another content type is 415', async () => {
    const cases: Record<string, string>[] = [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      {},
    ];
    for (const headers of cases) {
      const r = await rawRequest(server.url, 'POST', '/api/auth/login', {
        headers,
        body: 'username=admin&password=x',
      });
      assert.equal(r.status, 415, JSON.stringify(headers));
      assert.deepEqual(r.json, { error: 'Content-Type must be application/json' });
    }
  });

  test('URLs the router cannot parse get the uniform JSON error shape', async () => {
    const bad = await rawRequest(server.url, 'GET', '/api/clusters/%E0%A4%A');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: 'malformed URL' });
    const long = await rawRequest(server.url, 'GET', `/api/clusters/${'a'.repeat(600)}`);
    assert.equal(long.status, 414);
    assert.deepEqual(long.json, { error: 'request path too long' });
  });

  test('bodies over 1 MiB are 413; exactly 1 MiB is read', async () => {
    const limit = 1 << 20;
    const small = JSON.stringify({ username: 'admin', password: 'wrong-password' });
    const exact = small + ' '.repeat(limit - small.length);
    const ok = await rawRequest(server.url, 'POST', '/api/auth/login', { headers: json, body: exact });
    assert.equal(ok.status, 401, ok.text);
    const over = await rawRequest(server.url, 'POST', '/api/auth/login', { headers: json, body: exact + ' ' });
    assert.equal(over.status, 413);
    assert.deepEqual(over.json, { error: 'request body too large (limit 1 MiB)' });
    const overAuthenticated = await rawRequest(server.url, 'POST', '/api/test-only/validated', {
      headers: { ...json, ...bearer() },
      body: exact + ' ',
    });
    assert.equal(overAuthenticated.status, 413);
  });

  test('__proto__ keys never reach the parsed body', async () => {
    const r = await rawRequest(server.url, 'POST', '/api/test-only/validated', {
      headers: { ...json, ...bearer() },
      body: '{"name":"x","__proto__":{"polluted":true}}',
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('errors', () => {
  test('schema validation failures are 400 naming the field', async () => {
    const headers = { 'content-type': 'application/json', ...bearer() };
    const missing = await rawRequest(server.url, 'POST', '/api/test-only/validated', { headers, body: '{}' });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.error, 'name: is required');
    assert.equal(missing.json.details.field, 'name');
    const wrongType = await rawRequest(server.url, 'POST', '/api/test-only/validated', {
      headers,
      body: '{"name":"a","count":"many"}',
    });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.json.error, /^count: /);
    const empty = await rawRequest(server.url, 'POST', '/api/test-only/validated', { headers, body: '' });
    assert.equal(empty.status, 400, 'an empty body counts as {} and fails the required field');
    assert.equal(empty.json.error, 'name: is required');
  });

  test('an unmapped Kubernetes timeout is 504, not 500, and logged with its cause', async (t) => {
    sim.faults.setLatency(1500);
    t.after(() => sim.faults.setLatency(0));
    const r = await rawRequest(server.url, 'GET', '/api/test-only/kube', {
      headers: { ...bearer(), 'x-request-id': 'kube-1' },
    });
    assert.equal(r.status, 504);
    assert.deepEqual(r.json, { error: 'kubernetes API timed out' });
    assert.ok(server.logs.some((l) => l.includes('"kube-1"') && l.includes('"level":"warn"')));
  });

  test('unexpected errors are 500 "internal server error", logged with the stack, detail not leaked', async () => {
    const r = await rawRequest(server.url, 'GET', '/api/test-only/fault', {
      headers: { ...bearer(), 'x-request-id': 'fault-1' },
    });
    assert.equal(r.status, 500);
    assert.deepEqual(r.json, { error: 'internal server error' });
    const line = server.logs.map((l) => JSON.parse(l)).find((l) => l.requestId === 'fault-1' && l.err);
    assert.ok(line, 'error logged with the request id');
    assert.match(line.err.stack, /database exploded/);
    assert.equal(line.level, 'error');
  });
});

describe('request ids and headers', () => {
  test('a safe X-Request-Id is echoed; long or unsafe ones are replaced', async () => {
    const kept = await rawRequest(server.url, 'GET', '/healthz', { headers: { 'x-request-id': 'abc-123.XYZ_9' } });
    assert.equal(kept.headers['x-request-id'], 'abc-123.XYZ_9');
    const long = 'a'.repeat(65);
    const replaced = await rawRequest(server.url, 'GET', '/healthz', { headers: { 'x-request-id': long } });
    assert.notEqual(replaced.headers['x-request-id'], long);
    assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const unsafe = await rawRequest(server.url, 'GET', '/healthz', { headers: { 'x-request-id': 'a"b<script>' } });
    assert.match(String(unsafe.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const generated = await rawRequest(server.url, 'GET', '/healthz');
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const max = 'b'.repeat(64);
    assert.equal(
      (await rawRequest(server.url, 'GET', '/healthz', { headers: { 'x-request-id': max } })).headers['x-request-id'],
      max,
    );
  });

  test('API answers, errors included, are no-store and nosniff', async () => {
    for (const [path, headers] of [
      ['/api/auth/me', bearer()],
      ['/api/auth/me', {}],
      ['/api/foo', bearer()],
    ] as const) {
      const r = await rawRequest(server.url, 'GET', path, { headers });
      assert.equal(r.headers['cache-control'], 'no-store', path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.match(String(r.headers['content-type']), /^application\/json; charset=utf-8/);
    }
  });

  test('one request log line with id, method, route template, status, duration and user', async () => {
    await rawRequest(server.url, 'GET', '/api/auth/me?secret=should-not-appear', {
      headers: { ...bearer(), 'x-request-id': 'log-line-1' },
    });
    await waitFor(
      () => server.logs.some((l) => l.includes('"log-line-1"') && l.includes('"msg":"request"')),
      2000,
      'log',
    );
    const lines = server.logs
      .map((l) => JSON.parse(l))
      .filter((l) => l.requestId === 'log-line-1' && l.msg === 'request');
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line.method, 'GET');
    assert.equal(line.route, '/api/auth/me');
    assert.equal(line.status, 200);
    assert.equal(typeof line.durationMs, 'number');
    assert.equal(line.user, 'admin');
    assert.equal(line.level, 'info');
    assert.doesNotMatch(JSON.stringify(line), /should-not-appear/);
  });

  test('logs contain no password, token or cookie', async () => {
    await server.login();
    const all = server.logs.join('\n');
    assert.ok(all.length > 0);
    assert.ok(!all.includes(TEST_ADMIN_PASSWORD), 'password in logs');
    assert.ok(!all.includes(auth.token), 'token in logs');
    assert.ok(!all.includes(auth.cookie), 'cookie in logs');
    assert.ok(!all.includes(server.config.auth.jwtSecret), 'JWT secret in logs');
  });
});

describe('health', () => {
  test('/healthz is 200 {"status":"ok"} without a session', async () => {
    const r = await rawRequest(server.url, 'GET', '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ok' });
  });

  test('/readyz reports every check', async () => {
    const r = await rawRequest(server.url, 'GET', '/readyz');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'ready');
    assert.equal(r.json.checks.kubernetes, 'ok');
    assert.equal(r.json.checks.revocations, 'ok');
  });
});

describe('readiness failures and CORS', () => {
  test('/readyz is 503 naming the failing check when Kubernetes does not answer /version', async (t) => {
    const fresh = await startTestServer({ sim });
    t.after(() => fresh.close());
    sim.faults.failNext(1, { status: 500, path: '/version' });
    const r = await rawRequest(fresh.url, 'GET', '/readyz');
    assert.equal(r.status, 503, r.text);
    assert.equal(r.json.status, 'not ready');
    assert.equal(r.json.checks.kubernetes, 'kubernetes API unavailable');
    assert.equal(r.json.checks.revocations, 'ok');
  });

  test('CORS only for the configured origins, with credentials; preflight before authentication', async (t) => {
    const cors = await startTestServer({ sim, env: { BUTLER_CORS_ORIGINS: 'http://ui.example:3000' } });
    t.after(() => cors.close());
    const preflight = await rawRequest(cors.url, 'OPTIONS', '/api/auth/me', {
      headers: { origin: 'http://ui.example:3000', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'http://ui.example:3000');
    assert.equal(preflight.headers['access-control-allow-credentials'], 'true');
    assert.match(String(preflight.headers['access-control-allow-methods']), /PATCH/);
    const foreign = await rawRequest(cors.url, 'OPTIONS', '/api/auth/me', {
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    assert.equal(foreign.status, 401);
    const get = await rawRequest(cors.url, 'GET', '/healthz', { headers: { origin: 'http://ui.example:3000' } });
    assert.equal(get.headers['access-control-allow-origin'], 'http://ui.example:3000');
    const none = await rawRequest(server.url, 'GET', '/healthz', { headers: { origin: 'http://ui.example:3000' } });
    assert.equal(none.headers['access-control-allow-origin'], undefined, 'no CORS unless configured');
  });
});
