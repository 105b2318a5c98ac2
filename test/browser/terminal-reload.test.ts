// A browser reload closes the page's WebSockets with 1001 ("going away"). In headless Chromium against the demo:
// open the management terminal of the built-in console page, reload, and type again: the new terminal must work.
// Before the fix, the reload's 1001 stopped the terminal manager of the whole server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../demo/main.js';
import { launchChromium } from '../helpers/chromium.js';
import { lineCollector } from '../helpers/server.js';

const STEP_TIMEOUT_MS = 20_000;

let demo: Demo;
let browser: Browser;
let page: Page;

before(async () => {
  demo = await startDemo({ addr: '127.0.0.1:0', logStream: lineCollector([]) });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function typeAndSee(word: string): Promise<void> {
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
});
