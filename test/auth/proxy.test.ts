// Behind a trusted proxy (BUTLER_TRUST_PROXY): the own origin comes from X-Forwarded-Proto/Host, the cookie gets
// Secure for HTTPS, and throttling keys on the address the proxy saw. Without trust, those headers are ignored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { send, sessionCookieLine, startAuthSimulator } from './support.js';

const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'butler.example.test' };
let sim: Simulator;
before(async () => {
  sim = await startAuthSimulator();
});
after(async () => {
  await sim?.stop();
});

const loginBody = { username: 'admin', password: TEST_ADMIN_PASSWORD };

describe('with BUTLER_TRUST_PROXY=true', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ sim, env: { BUTLER_TRUST_PROXY: 'true', BUTLER_LOGIN_MAX_FAILURES: '2' } });
  });
  after(async () => {
    await server?.close();
  });

  test('the forwarded origin is the own origin, the cookie is Secure, default ports are normalised', async () => {
    const login = await send(server.url, 'POST', '/api/auth/login', { headers: forwarded, body: loginBody });
    assert.equal(login.status, 200);
    assert.match(sessionCookieLine(login)!, /;\s*Secure/i);
    const cookie = sessionCookieLine(login)!.split(';')[0]!;
    const ok = await send(server.url, 'POST', '/api/auth/refresh', {
      headers: {
        ...forwarded,
        'x-forwarded-host': 'butler.example.test:443',
        cookie,
        origin: 'https://butler.example.test',
      },
    });
    assert.equal(ok.status, 200, ok.text);
    const plainOrigin = await send(server.url, 'POST', '/api/auth/refresh', {
      headers: { cookie: `butler_session=${ok.json.token}`, ...forwarded, origin: 'http://butler.example.test' },
    });
    assert.equal(plainOrigin.status, 403, 'scheme differs');
  });

  test('failures are counted per forwarded client address', async () => {
    const from = (addr: string) => ({ 'x-forwarded-for': `203.0.113.9, ${addr}` });
    for (let i = 0; i < 2; i++) {
      const a = await send(server.url, 'POST', '/api/auth/login', {
        headers: from('198.51.100.1'),
        body: { username: 'admin', password: 'bad' },
      });
      assert.equal(a.status, 401);
    }
    const locked = await send(server.url, 'POST', '/api/auth/login', {
      headers: from('198.51.100.1'),
      body: loginBody,
    });
    assert.equal(locked.status, 429);
    const elsewhere = await send(server.url, 'POST', '/api/auth/login', {
      headers: from('198.51.100.2'),
      body: loginBody,
    });
    assert.equal(elsewhere.status, 200, 'another client address is not locked out');
  });
});

describe('without BUTLER_TRUST_PROXY', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ sim });
  });
  after(async () => {
    await server?.close();
  });

  test('forwarded headers neither change the own origin nor make the cookie Secure', async () => {
    const login = await send(server.url, 'POST', '/api/auth/login', { headers: forwarded, body: loginBody });
    assert.equal(login.status, 200);
    assert.doesNotMatch(sessionCookieLine(login)!, /Secure/i);
    const cookie = sessionCookieLine(login)!.split(';')[0]!;
    const spoofed = await send(server.url, 'POST', '/api/auth/refresh', {
      headers: { ...forwarded, cookie, origin: 'https://butler.example.test' },
    });
    assert.equal(spoofed.status, 403);
    const port = new URL(server.url).port;
    const viaHost = await send(server.url, 'POST', '/api/auth/refresh', {
      headers: { cookie, host: `localhost:${port}`, origin: `http://localhost:${port}` },
    });
    assert.equal(viaHost.status, 200, 'the Host header as the client sent it defines the own origin');
  });
});
