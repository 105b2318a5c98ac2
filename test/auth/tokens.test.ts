// Token validation (docs/api.md §2.2, §2.5): only HS256 tokens of this server, within nbf..exp (30 s leeway), not revoked.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { clearsCookie, send, startAuthSimulator } from './support.js';

let sim: Simulator;
let server: TestServer;
let key: Uint8Array;

before(async () => {
  sim = await startAuthSimulator();
  server = await startTestServer({ sim });
  key = new TextEncoder().encode(server.config.auth.jwtSecret);
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const claims = (over: JWTPayload = {}): JWTPayload => ({
  // the bootstrap admin's identity claims
  subject: 'legacy:admin',
  sub: 'legacy:admin',
  username: 'admin',
  email: 'admin@butler.local',
  name: 'Platform Administrator',
  provider: 'legacy',
  groups: [],
  iss: 'butler-server',
  iat: now(),
  nbf: now(),
  exp: now() + 3600,
  jti: randomBytes(16).toString('hex'),
  ...over,
});
const sign = (payload: JWTPayload, alg = 'HS256', k: Parameters<SignJWT['sign']>[0] = key) =>
  new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(k);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function expect401(token: string, error: string, what: string) {
  const bearer = await send(server.url, 'GET', '/api/auth/me', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(bearer.status, 401, `${what} (bearer): ${bearer.text}`);
  assert.deepEqual(bearer.json, { error }, what);
  assert.match(String(bearer.headers['content-type']), /application\/json/);
  const cookie = await send(server.url, 'GET', '/api/auth/me', { headers: { cookie: `butler_session=${token}` } });
  assert.equal(cookie.status, 401, `${what} (cookie)`);
  assert.deepEqual(cookie.json, { error }, what);
  assert.ok(clearsCookie(cookie), `${what}: a rejected cookie is cleared (${cookie.setCookies.join(' | ')})`);
}

test('a correctly made token is accepted (the forged variants below differ in one thing each)', async () => {
  const a = await send(server.url, 'GET', '/api/auth/me', {
    headers: { authorization: `Bearer ${await sign(claims())}` },
  });
  assert.equal(a.status, 200, a.text);
});

test('no credentials → unauthorized', async () => {
  const a = await send(server.url, 'GET', '/api/auth/me');
  assert.deepEqual([a.status, a.json], [401, { error: 'unauthorized' }]);
  assert.equal(a.setCookies.length, 0);
});

test('alg none, HS512, RS256, another key, malformed → invalid session', async () => {
  const invalid = 'invalid session';
  await expect401(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`, invalid, 'alg none');
  await expect401(await sign(claims(), 'HS512'), invalid, 'HS512 with the right secret');
  const { privateKey } = await generateKeyPair('RS256');
  await expect401(await sign(claims(), 'RS256', privateKey), invalid, 'RS256');
  await expect401(await sign(claims(), 'HS256', randomBytes(36)), invalid, 'another key');
  await expect401('not.a.jwt', invalid, 'malformed');
});

test('expired, not yet valid, wrong issuer, missing jti → invalid session; leeway is 30 s', async () => {
  const invalid = 'invalid session';
  await expect401(await sign(claims({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 60 })), invalid, 'past exp');
  await expect401(await sign(claims({ nbf: now() + 120 })), invalid, 'future nbf');
  await expect401(await sign(claims({ iss: 'someone-else' })), invalid, 'wrong iss');
  const noJti = claims();
  delete noJti.jti;
  await expect401(await sign(noJti), invalid, 'no jti');
  await expect401(await sign(claims({ jti: 'short' })), invalid, 'malformed jti');
  const withinLeeway = await sign(claims({ exp: now() - 10 }));
  const a = await send(server.url, 'GET', '/api/auth/me', { headers: { authorization: `Bearer ${withinLeeway}` } });
  assert.equal(a.status, 200, 'exp 10 s ago is within the 30 s leeway');
});

test('a revoked jti → session revoked', async () => {
  const { token } = await server.login();
  const out = await send(server.url, 'POST', '/api/auth/logout', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(out.status, 200);
  await expect401(token, 'session revoked; please log in again', 'revoked');
});

test('the cookie wins over the Bearer header', async () => {
  const { token } = await server.login();
  const a = await send(server.url, 'GET', '/api/auth/me', {
    headers: { cookie: 'butler_session=garbage', authorization: `Bearer ${token}` },
  });
  assert.equal(a.status, 401);
  assert.ok(clearsCookie(a));
});
