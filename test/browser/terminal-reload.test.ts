// A browser reload closes the page's WebSockets with 1001 ("going away"). In headless Chromium against the demo:
// open the management terminal of the built-in console page, reload, and type again: the new terminal must work.
// Before the fix, the reload's 1001 stopped the terminal manager of the whole server. The demo runs terminals in
// pod mode (shell pods on the simulator's kubelet).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoPageForTests } from '../helpers/chromium.js';

const browserPage = demoPageForTests();

async function typeAndSee(word: string): Promise<void> {
  const { page } = browserPage.current();
  await page.locator('#terminal-status', { hasText: 'connected' }).waitFor();
  await page.locator('#terminal .xterm-rows').waitFor();
  await page.click('#terminal');
  // Built by the shell, so the echoed command line itself does not match.
  await page.keyboard.type(`echo "${word}""-$((6*7))"\n`);
  await page
    .locator('#terminal .xterm-rows')
    .filter({ hasText: `${word}-42` })
    .waitFor();
}

test('the terminal works again after a page reload (the browser closes it with 1001)', async () => {
  const { demo, page } = browserPage.current();
  await page.goto(demo.url);
  await page.fill('#login-form input[name=username]', demo.username);
  await page.fill('#login-form input[name=password]', demo.password!);
  await page.click('#login-form button[type=submit]');
  await page.locator('#logout').waitFor({ state: 'visible' });
  await page.goto(`${demo.url}/#/terminal/management`);
  await typeAndSee('before');

  await page.reload();
  await page.locator('#logout').waitFor({ state: 'visible' });
  await typeAndSee('after');
  const rows = await page.locator('#terminal .xterm-rows').innerText();
  assert.doesNotMatch(rows, /server is shutting down/);
  assert.equal(demo.app.terminals.isShuttingDown, false);
  // The demo runs in pod mode: the shell is a shell pod on the simulator's kubelet, not a process of the server.
  assert.equal(demo.config.terminal.mode, 'pod');
  const sessions = demo.app.terminals.list();
  assert.ok(sessions.length > 0 && sessions.every((s) => s.pid === undefined), JSON.stringify(sessions));
  const res = await fetch(
    `${demo.management.url}/api/v1/namespaces/butler-system/pods?labelSelector=app.kubernetes.io%2Fname%3Dbutler-terminal`,
    { headers: { authorization: `Bearer ${demo.management.token}` } },
  );
  const pods = ((await res.json()) as { items: { status?: { phase?: string } }[] }).items;
  assert.ok(
    pods.some((p) => p.status?.phase === 'Running'),
    'a running shell pod',
  );
});
