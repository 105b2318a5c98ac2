// Slow requests are timed out (header and body timeouts: 408 in the one JSON error shape, then the connection is
// closed), and requests without a session are capped per client address, so a slow-request flood from one address
// can neither exhaust the server nor take down /healthz or login.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startButlerSimulator } from '../helpers/sim.js';
import { rawConnection, rawRequest, type RawConnection } from '../helpers/http.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import type { Simulator } from '../../sim/index.js';

const HEADERS_TIMEOUT_MS = 1000;
const BODY_TIMEOUT_MS = 2000;
const IDLE_TIMEOUT_MS = 1500;
/** Generous: the server checks its timeouts periodically, and the machine is loaded. */
const CLOSE_MARGIN_MS = 4000;

let sim: Simulator;
before(async () => {
  sim = await startButlerSimulator();
});
after(async () => {
  await sim?.stop();
});

const slowLogin = (bodyLength = 200) =>
  `POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${bodyLength}\r\n\r\n{"username":`;

async function closedWithin(c: RawConnection, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      c.closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function assert408(a: Awaited<RawConnection['closed']>, what: string): void {
  assert.equal(a.status, 408, `${what}: ${a.raw.slice(0, 200)}`);
  assert.deepEqual(a.json, { error: 'request not received in time' }, what);
  assert.ok(a.headers['x-request-id'], `${what}: x-request-id`);
  assert.equal(a.headers['cache-control'], 'no-store', what);
}

describe('header and body timeouts', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      sim,
      env: {
        BUTLER_HTTP_HEADERS_TIMEOUT: `${HEADERS_TIMEOUT_MS}ms`,
        BUTLER_HTTP_BODY_TIMEOUT: `${BODY_TIMEOUT_MS}ms`,
        BUTLER_HTTP_IDLE_TIMEOUT: `${IDLE_TIMEOUT_MS}ms`,
        // This block is about the timeouts: the cap must not be what closes the 100 connections.
        BUTLER_HTTP_UNAUTH_MAX_PER_ADDRESS: '1000',
        BUTLER_LOGIN_RATE_LIMIT: '1000',
      },
    });
  });
  after(async () => {
    await server?.close();
  });

  test('100 slow login bodies: /healthz and login still answer, all 100 get 408 and are closed in time', async () => {
    const started = Date.now();
    const slow = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const c = await rawConnection(server.url);
        c.write(slowLogin());
        return c;
      }),
    );
    try {
      const health = await rawRequest(server.url, 'GET', '/healthz');
      assert.deepEqual([health.status, health.json], [200, { status: 'ok' }]);
      await server.login('admin', TEST_ADMIN_PASSWORD);
      const answers = await Promise.all(slow.map((c) => closedWithin(c, BODY_TIMEOUT_MS + CLOSE_MARGIN_MS + 5000)));
      const slowest = Math.max(...answers.map((a) => a.closedAfterMs));
      assert.ok(slowest <= BODY_TIMEOUT_MS + CLOSE_MARGIN_MS, `slowest closed after ${slowest} ms`);
      assert.ok(Date.now() - started >= BODY_TIMEOUT_MS - 100, 'not closed before the timeout');
      answers.forEach((a, i) => assert408(a, `connection ${i}`));
      // A client's slowness is its own mistake: nothing logged above info, no stack.
      await new Promise((r) => setTimeout(r, 200));
      const loud = server.logs.filter((l) => /"level":"(warn|error|fatal)"/.test(l) || l.includes('"stack"'));
      assert.deepEqual(loud, []);
    } finally {
      for (const c of slow) c.destroy();
    }
  });

  test('headers that do not arrive in time: 408 after the header timeout; a silent connection is closed too', async () => {
    const partial = await rawConnection(server.url);
    partial.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const silent = await rawConnection(server.url);
    const a = await closedWithin(partial, HEADERS_TIMEOUT_MS + CLOSE_MARGIN_MS);
    assert408(a, 'partial headers');
    const s = await closedWithin(silent, HEADERS_TIMEOUT_MS + CLOSE_MARGIN_MS);
    assert.ok(s.closedAfterMs <= HEADERS_TIMEOUT_MS + CLOSE_MARGIN_MS, `silent closed after ${s.closedAfterMs} ms`);
  });

  test('a body sent steadily but slower than the body timeout is cut off with 408', async () => {
    const c = await rawConnection(server.url);
    c.write(slowLogin(400));
    const drip = setInterval(() => c.write(' '), 100);
    try {
      assert408(await closedWithin(c, BODY_TIMEOUT_MS + CLOSE_MARGIN_MS), 'dripping body');
    } finally {
      clearInterval(drip);
    }
  });

  test('a kept-alive connection without a further request is closed after the idle timeout', async () => {
    const c = await rawConnection(server.url);
    c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const a = await closedWithin(c, IDLE_TIMEOUT_MS + CLOSE_MARGIN_MS);
    assert.equal(a.status, 200);
    assert.ok(a.closedAfterMs >= IDLE_TIMEOUT_MS - 200, `closed after ${a.closedAfterMs} ms`);
  });
});

describe('requests without a session per client address', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({
      sim,
      env: {
        BUTLER_HTTP_UNAUTH_MAX_PER_ADDRESS: '5',
        BUTLER_HTTP_BODY_TIMEOUT: '20s',
        BUTLER_LOGIN_RATE_LIMIT: '1000',
      },
    });
  });
  after(async () => {
    await server?.close();
  });

  test('beyond the cap: 429 JSON and closed; health and authenticated requests still answer; slots come back', async () => {
    const { token } = await server.login();
    const held = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const c = await rawConnection(server.url);
        c.write(slowLogin());
        return c;
      }),
    );
    try {
      // Give the server time to see all five requests.
      await new Promise((r) => setTimeout(r, 300));
      const refused = await rawRequest(server.url, 'POST', '/api/auth/login', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
      });
      assert.equal(refused.status, 429, refused.text);
      assert.match(refused.json.error, /too many requests without a session/);
      assert.ok(refused.headers['retry-after']);
      assert.equal(refused.headers.connection, 'close');
      const health = await rawRequest(server.url, 'GET', '/healthz');
      assert.equal(health.status, 200);
      const me = await rawRequest(server.url, 'GET', '/api/auth/me', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(me.status, 200);
    } finally {
      for (const c of held) c.destroy();
    }
    await new Promise((r) => setTimeout(r, 300));
    await server.login();
  });

  test('a rejected request with an unfinished body does not keep its connection open', async () => {
    const c = await rawConnection(server.url);
    c.write(
      'POST /api/clusters HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"x":',
    );
    const a = await closedWithin(c, 3000);
    assert.equal(a.status, 401);
  });
});
