import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { send, sessionCookieLine, startAuthSimulator } from './support.js';

let sim: Simulator;
before(async () => {
  sim = await startAuthSimulator();
});
after(async () => {
  await sim?.stop();
});

describe('login with default settings', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ sim });
  });
  after(async () => {
    await server?.close();
  });

  test('success: the contract body and an HttpOnly, SameSite=Lax session cookie', async () => {
    const before = Date.now();
    const a = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(Object.keys(a.json).sort(), ['expiresAt', 'token', 'user']);
    const adminUser = {
      email: 'admin@butler.local',
      name: 'Platform Administrator',
      teams: [],
      isPlatformAdmin: true,
      platformRole: 'admin',
      provider: 'legacy',
      // the early-2026 console's fields, for platform admins only
      username: 'admin',
      role: 'admin',
      expiresAt: a.json.expiresAt,
    };
    assert.deepEqual(a.json.user, adminUser);
    assert.match(a.json.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const exp = Date.parse(a.json.expiresAt);
    assert.ok(Math.abs(exp - (before + 24 * 3600_000)) < 5000, `expiresAt ${a.json.expiresAt}`);

    const line = sessionCookieLine(a);
    assert.ok(line, 'no butler_session cookie');
    assert.ok(line.startsWith(`butler_session=${a.json.token};`), line);
    const attrs = line.split(';').map((s) => s.trim().toLowerCase());
    assert.ok(attrs.includes('httponly'), line);
    assert.ok(attrs.includes('samesite=lax'), line);
    assert.ok(attrs.includes('path=/'), line);
    assert.ok(attrs.includes('max-age=86400'), line);
    assert.ok(!attrs.includes('secure'), 'no Secure over plain HTTP with BUTLER_COOKIE_SECURE=auto');

    const claims = JSON.parse(Buffer.from(a.json.token.split('.')[1], 'base64url').toString());
    assert.equal(claims.username, 'admin');
    assert.equal(claims.sub, 'legacy:admin');
    assert.equal(claims.email, 'admin@butler.local');
    assert.equal(claims.role, undefined, 'the token names the user, not their rights');
    assert.equal(claims.teams, undefined, 'the token names the user, not their rights');
    assert.equal(claims.iss, 'butler-server');
    assert.match(claims.jti, /^[0-9a-f]{32}$/);
    assert.equal(claims.exp - claims.iat, 86400);
    assert.equal(claims.nbf, claims.iat);
    const header = JSON.parse(Buffer.from(a.json.token.split('.')[0], 'base64url').toString());
    assert.equal(header.alg, 'HS256');

    const me = await send(server.url, 'GET', '/api/auth/me', { headers: { cookie: line.split(';')[0]! } });
    assert.equal(me.status, 200);
    assert.deepEqual(me.json, adminUser);
    const meBearer = await send(server.url, 'GET', '/api/auth/me', {
      headers: { authorization: `Bearer ${a.json.token}` },
    });
    assert.equal(meBearer.status, 200);

    const second = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    const jti2 = JSON.parse(Buffer.from(second.json.token.split('.')[1], 'base64url').toString()).jti;
    assert.notEqual(jti2, claims.jti, 'a unique jti per token');
  });

  test('missing or malformed credentials → 400', async () => {
    for (const body of [
      {},
      { username: 'admin' },
      { username: '', password: 'x' },
      { username: 1, password: 'x' },
      { username: 'a'.repeat(257), password: 'x' },
    ]) {
      const a = await send(server.url, 'POST', '/api/auth/login', { body });
      assert.equal(a.status, 400, JSON.stringify(body));
      assert.deepEqual(a.json, { error: 'Email/username and password are required' });
    }
  });

  test('wrong password → 401; the 6th failure for a name and address → 429 with Retry-After, other names unaffected', async () => {
    for (let i = 0; i < 5; i++) {
      const a = await send(server.url, 'POST', '/api/auth/login', {
        body: { username: 'mallory', password: `guess-${i}` },
      });
      assert.equal(a.status, 401, `attempt ${i + 1}`);
      assert.deepEqual(a.json, { error: 'Invalid email or password' });
      assert.equal(sessionCookieLine(a), undefined);
    }
    const locked = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'mallory', password: 'guess-6' },
    });
    assert.equal(locked.status, 429);
    const retryAfter = Number(locked.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${locked.headers['retry-after']}`);
    assert.equal(locked.json.error, `too many login attempts; try again in ${retryAfter} s`);
    // Keyed on (username, address): the real admin is not locked out by someone guessing another name.
    const ok = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    assert.equal(ok.status, 200);
    // A wrong name with the right password is the same 401 as a wrong password.
    const wrongName = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'root', password: TEST_ADMIN_PASSWORD },
    });
    assert.deepEqual([wrongName.status, wrongName.json], [401, { error: 'Invalid email or password' }]);
  });
});

describe('login with BUTLER_LOGIN_RATE_LIMIT=3 and BUTLER_COOKIE_SECURE=true', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ sim, env: { BUTLER_LOGIN_RATE_LIMIT: '3', BUTLER_COOKIE_SECURE: 'true' } });
  });
  after(async () => {
    await server?.close();
  });

  test('the cookie carries Secure, and the 4th attempt within a minute from one address → 429', async () => {
    const first = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    assert.equal(first.status, 200);
    assert.match(sessionCookieLine(first)!, /;\s*Secure/i);
    for (let i = 0; i < 2; i++) {
      const a = await send(server.url, 'POST', '/api/auth/login', { body: { username: `u${i}`, password: 'x' } });
      assert.equal(a.status, 401);
    }
    const limited = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: TEST_ADMIN_PASSWORD },
    });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });
});

describe('login with an argon2id password hash', () => {
  let server: TestServer;
  before(async () => {
    const { hash } = await import('@node-rs/argon2');
    const h = await hash('hashed-secret-pw', { algorithm: 2 });
    server = await startTestServer({ sim, env: { BUTLER_ADMIN_PASSWORD: '', BUTLER_ADMIN_PASSWORD_HASH: h } });
  });
  after(async () => {
    await server?.close();
  });

  test('the hash verifies the right password only', async () => {
    const ok = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: 'hashed-secret-pw' },
    });
    assert.equal(ok.status, 200);
    const bad = await send(server.url, 'POST', '/api/auth/login', {
      body: { username: 'admin', password: 'hashed-secret-px' },
    });
    assert.equal(bad.status, 401);
  });
});
