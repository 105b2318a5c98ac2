// A token signed with the server's key may still not outlive the configured session TTL: `exp − iat` above the TTL
// (plus the 30 s leeway), an `iat` in the future or no `iat` at all → 401, on every way a token arrives.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SignJWT, type JWTPayload } from 'jose';
import WebSocket from 'ws';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { send, startAuthSimulator } from './support.js';

const TTL_SECONDS = 3600;
const LEEWAY_SECONDS = 30;

let sim: Simulator;
let server: TestServer;
let key: Uint8Array;

before(async () => {
  sim = await startAuthSimulator();
  server = await startTestServer({ sim, env: { BUTLER_TOKEN_TTL: `${TTL_SECONDS}s` } });
  key = new TextEncoder().encode(server.config.auth.jwtSecret);
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const token = (times: { iat?: number; exp: number }) => {
  const payload: JWTPayload = {
    // the bootstrap admin's identity claims
    subject: 'legacy:admin',
    sub: 'legacy:admin',
    username: 'admin',
    email: 'admin@butler.local',
    name: 'Platform Administrator',
    provider: 'legacy',
    groups: [],
    iss: 'butler-server',
    nbf: now() - 5,
    jti: randomBytes(16).toString('hex'),
    ...times,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
};

async function me(jwt: string): Promise<number> {
  const bearer = await send(server.url, 'GET', '/api/auth/me', { headers: { authorization: `Bearer ${jwt}` } });
  const cookie = await send(server.url, 'GET', '/api/auth/me', { headers: { cookie: `butler_session=${jwt}` } });
  assert.equal(cookie.status, bearer.status, 'cookie and bearer agree');
  if (bearer.status === 401) assert.deepEqual(bearer.json, { error: 'invalid session' });
  return bearer.status;
}

test('an exp decades ahead is refused although the signature is right', async () => {
  assert.equal(await me(await token({ iat: now(), exp: now() + 30 * 365 * 86400 })), 401);
});

test('exp − iat up to the TTL plus the leeway is accepted; one second more is refused', async () => {
  const iat = now() - 60;
  assert.equal(await me(await token({ iat, exp: iat + TTL_SECONDS })), 200);
  assert.equal(await me(await token({ iat, exp: iat + TTL_SECONDS + LEEWAY_SECONDS })), 200);
  assert.equal(await me(await token({ iat, exp: iat + TTL_SECONDS + LEEWAY_SECONDS + 1 })), 401);
});

test('an old iat cannot be paired with a fresh exp to stretch the lifetime', async () => {
  assert.equal(await me(await token({ iat: now() - 2 * TTL_SECONDS, exp: now() + 600 })), 401);
});

test('an iat in the future is refused (beyond the clock leeway); a missing iat too', async () => {
  assert.equal(await me(await token({ iat: now() + 10, exp: now() + 600 })), 200);
  assert.equal(await me(await token({ iat: now() + 300, exp: now() + 600 })), 401);
  assert.equal(await me(await token({ exp: now() + 600 })), 401);
});

test('the server’s own tokens pass; a long-lived forgery gets no data on /ws/clusters', async () => {
  const { token: issued } = await server.login();
  assert.equal(await me(issued), 200);
  const forged = await token({ iat: now(), exp: now() + 10 * 365 * 86400 });
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws/clusters`, {
    headers: { authorization: `Bearer ${forged}` },
  });
  const frames: string[] = [];
  ws.on('message', (d: Buffer) => frames.push(d.toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await new Promise((r) => setTimeout(r, 500));
  ws.terminate();
  assert.deepEqual(frames, [], 'an anonymous socket gets no cluster data');
});
