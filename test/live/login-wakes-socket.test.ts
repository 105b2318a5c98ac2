// The console opens /ws/clusters on the login page, before any session exists, and never reopens it on login: it
// only reconnects when the socket closes (5 attempts, 1, 2, 4, 8, 16 s apart, reset on every open). A random
// pre-login browser cookie (set on HTML pages and on the anonymous upgrade answer) lets the login close exactly that
// browser's anonymous sockets with 4401, so the console's next attempt carries the session: cluster data within
// 3 s of the login, while an anonymous socket never receives any.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { butlerCrds } from '../../sim/crds.js';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import { SimApi, SYSTEM_NAMESPACE, until } from './fixtures.js';

const BROWSER_COOKIE = 'butler_browser';
const DATA_WITHIN_MS = 3000;

let sim: Simulator;
let server: TestServer;

before(async () => {
  sim = await startSimulator({ crds: butlerCrds(), seed: [SYSTEM_NAMESPACE] });
  const api = new SimApi(sim);
  await api.namespace('team-a');
  await api.create('team-a', 'first');
  // The default anonymous timeout (30 s): the login, not the timeout, must be what wakes the socket.
  server = await startTestServer({ sim });
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

/** The browser's cookie jar: name → value, filled from every Set-Cookie the server sends. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(setCookies: string[] | string | undefined): void {
    for (const line of Array.isArray(setCookies) ? setCookies : setCookies ? [setCookies] : []) {
      const [pair = '', ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A /ws/clusters client that behaves like the console's live-update provider. */
class ConsoleLikeSocket {
  readonly frames: { type: string; at: number; authenticated: boolean }[] = [];
  readonly closes: { code: number; at: number }[] = [];
  readonly opens: { at: number; withSession: boolean }[] = [];
  private attempt = 0;
  private stopped = false;
  private ws: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly jar: CookieJar) {}

  open(): void {
    if (this.stopped) return;
    const withSession = this.jar.get('butler_session') !== undefined;
    const cookie = this.jar.header();
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws/clusters`, {
      headers: { origin: server.url, ...(cookie ? { cookie } : {}) },
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.on('upgrade', (res) => this.jar.take(res.headers['set-cookie']));
    ws.on('open', () => {
      this.attempt = 0;
      this.opens.push({ at: Date.now(), withSession });
    });
    ws.on('message', (data: Buffer) => {
      const type = (JSON.parse(data.toString()) as { type: string }).type;
      this.frames.push({ type, at: Date.now(), authenticated: withSession });
    });
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      this.closes.push({ code, at: Date.now() });
      this.retry();
    });
  }

  private retry(): void {
    if (this.stopped || this.attempt >= 5) return;
    const delay = 1000 * 2 ** this.attempt++;
    this.timer = setTimeout(() => this.open(), delay);
  }

  get dataFrames() {
    return this.frames.filter((f) => f.type !== 'pong');
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
  }
}

async function loadPage(jar: CookieJar): Promise<void> {
  const res = await fetch(`${server.url}/`, { headers: jar.header() ? { cookie: jar.header() } : {} });
  await res.arrayBuffer();
  assert.equal(res.status, 200);
  jar.take(res.headers.getSetCookie());
}

async function logIn(jar: CookieJar): Promise<number> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, cookie: jar.header() },
    body: JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD }),
  });
  await res.arrayBuffer();
  assert.equal(res.status, 200);
  jar.take(res.headers.getSetCookie());
  return Date.now();
}

test('the page sets a random HttpOnly, SameSite=Lax pre-login cookie once', async () => {
  const first = await fetch(`${server.url}/`);
  await first.arrayBuffer();
  const line = first.headers.getSetCookie().find((c) => c.startsWith(`${BROWSER_COOKIE}=`));
  assert.ok(line, 'the page sets the browser cookie');
  assert.match(line, /^butler_browser=[0-9a-f]{32}; /);
  assert.match(line, /; HttpOnly/i);
  assert.match(line, /; SameSite=Lax/i);
  assert.match(line, /; Path=\//i);
  const again = await fetch(`${server.url}/`, { headers: { cookie: line.split(';')[0]! } });
  await again.arrayBuffer();
  assert.equal(
    again.headers.getSetCookie().filter((c) => c.startsWith(`${BROWSER_COOKIE}=`)).length,
    0,
    'a browser that has one keeps it',
  );
  const other = await fetch(`${server.url}/`);
  await other.arrayBuffer();
  assert.notEqual(other.headers.getSetCookie()[0]?.split(';')[0], line.split(';')[0], 'every browser gets its own');
});

test('console-like client opened on the login page gets cluster data within 3 s of the login', async () => {
  const jar = new CookieJar();
  await loadPage(jar);
  const live = new ConsoleLikeSocket(jar);
  const bystanderJar = new CookieJar();
  await loadPage(bystanderJar);
  const bystander = new ConsoleLikeSocket(bystanderJar);
  try {
    live.open();
    bystander.open();
    await until('both anonymous sockets open', () => live.opens.length === 1 && bystander.opens.length === 1, 5000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(live.dataFrames.length, 0, 'an anonymous socket receives no cluster data');

    const loggedInAt = await logIn(jar);
    await until('a snapshot', () => live.dataFrames.some((f) => f.type === 'snapshot'), 20_000);
    const snapshot = live.dataFrames.find((f) => f.type === 'snapshot')!;
    assert.ok(snapshot.at - loggedInAt <= DATA_WITHIN_MS, `data ${snapshot.at - loggedInAt} ms after the login`);
    assert.equal(live.closes[0]?.code, 4401, 'the anonymous socket was closed with 4401');
    assert.equal(snapshot.authenticated, true);
    assert.ok(
      live.dataFrames.every((f) => f.authenticated),
      'no data ever reached the anonymous socket',
    );

    // Another browser's anonymous socket is not affected by this login, and still gets no data.
    assert.deepEqual(bystander.closes, []);
    assert.deepEqual(bystander.dataFrames, []);
  } finally {
    live.stop();
    bystander.stop();
  }
});

test('without a page load: the anonymous upgrade answer sets the cookie, and the login still wakes the socket', async () => {
  const jar = new CookieJar();
  const live = new ConsoleLikeSocket(jar);
  try {
    live.open();
    await until('the anonymous socket', () => live.opens.length === 1, 5000);
    assert.match(jar.get(BROWSER_COOKIE) ?? '', /^[0-9a-f]{32}$/, 'the 101 answer set the browser cookie');
    const loggedInAt = await logIn(jar);
    await until('a snapshot', () => live.dataFrames.some((f) => f.type === 'snapshot'), 20_000);
    const snapshot = live.dataFrames.find((f) => f.type === 'snapshot')!;
    assert.ok(snapshot.at - loggedInAt <= DATA_WITHIN_MS, `data ${snapshot.at - loggedInAt} ms after the login`);
  } finally {
    live.stop();
  }
});

test('a made-up browser cookie is replaced, and a failed login closes nothing', async () => {
  const jar = new CookieJar();
  jar.take(`${BROWSER_COOKIE}=not-a-valid-id; Path=/`);
  const live = new ConsoleLikeSocket(jar);
  try {
    live.open();
    await until('the anonymous socket', () => live.opens.length === 1, 5000);
    assert.match(jar.get(BROWSER_COOKIE) ?? '', /^[0-9a-f]{32}$/);
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url, cookie: jar.header() },
      body: JSON.stringify({ username: 'admin', password: 'wrong-password' }),
    });
    await res.arrayBuffer();
    assert.equal(res.status, 401);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(live.closes, []);
    assert.deepEqual(live.dataFrames, []);
  } finally {
    live.stop();
  }
});
