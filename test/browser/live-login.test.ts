// In headless Chromium, the built-in console page opens /ws/clusters the way the Butler Console does: at page load,
// on the login page, before any session exists, and it never reopens it on login (it reconnects only when the socket
// closes, 1, 2, 4, 8, 16 s apart). Logging in must bring the clusters within 3 s, without a reload, and the anonymous
// socket must never have received cluster data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebSocket as PageSocket } from 'playwright-core';
import { demoPageForTests } from '../helpers/chromium.js';

const DATA_WITHIN_MS = 3000;

const browserPage = demoPageForTests();

interface Seen {
  socket: PageSocket;
  frames: string[];
}

test('clusters appear within 3 s of the login, on the socket opened before it', async () => {
  const { demo, page } = browserPage.current();
  const sockets: Seen[] = [];
  page.on('websocket', (socket) => {
    if (!socket.url().endsWith('/ws/clusters')) return;
    const seen: Seen = { socket, frames: [] };
    socket.on('framereceived', (f) => seen.frames.push(String(f.payload)));
    sockets.push(seen);
  });

  await page.goto(demo.url);
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await page.locator('#live.on').waitFor({ state: 'attached' });
  assert.equal(sockets.length, 1, 'the login page opened one anonymous socket');
  const cookies = await page.context().cookies();
  assert.ok(
    cookies.some((c) => c.name === 'butler_browser' && c.httpOnly && c.sameSite === 'Lax'),
    'the page gave the browser its pre-login cookie',
  );
  await page.evaluate(() => ((globalThis as unknown as { noReload: boolean }).noReload = true));

  await page.fill('#login-form input[name=username]', demo.username);
  await page.fill('#login-form input[name=password]', demo.password!);
  const loginAnswer = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
  await page.click('#login-form button[type=submit]');
  assert.equal((await loginAnswer).status(), 200);
  const loggedInAt = Date.now();

  await page.locator('tr[data-cluster="butler-tenants/production"]').waitFor();
  const took = Date.now() - loggedInAt;
  assert.ok(took <= DATA_WITHIN_MS, `clusters shown ${took} ms after the login`);
  assert.equal(await page.evaluate(() => (globalThis as unknown as { noReload?: boolean }).noReload), true);

  const anonymous = sockets[0]!;
  assert.ok(anonymous.socket.isClosed(), 'the anonymous socket was closed by the login');
  assert.deepEqual(
    anonymous.frames.filter((f) => !f.includes('"pong"')),
    [],
    'the anonymous socket never received cluster data',
  );
  assert.ok(
    sockets.slice(1).some((s) => s.frames.some((f) => f.includes('"snapshot"'))),
    'the reconnect got the snapshot',
  );
});
