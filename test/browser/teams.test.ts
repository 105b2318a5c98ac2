// The built-in page with the demo's team users in headless Chromium: each sees only the clusters of their team, the
// team switcher names it (X-Butler-Team), and the controls follow the role /api/auth/me reports — the operator may
// create, scale and delete, the viewer gets none of that and a read-only terminal.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../demo/main.js';
import { launchChromium } from '../helpers/chromium.js';

let demo: Demo;
let browser: Browser;

before(async () => {
  demo = await startDemo({ addr: '127.0.0.1:0' });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function logIn(username: string): Promise<Page> {
  const user = demo.users.find((u) => u.username === username);
  assert.ok(user, `the demo seeds ${username}`);
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(demo.url);
  await page.fill('#login-form input[name=username]', user.username);
  await page.fill('#login-form input[name=password]', user.password);
  await page.click('#login-form button[type=submit]');
  await page.locator('#logout').waitFor({ state: 'visible' });
  return page;
}

const rows = (page: Page) =>
  page.locator('tr[data-cluster]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-cluster')));

test('the demo prints two team users with generated passwords, in teams whose clusters differ', () => {
  assert.deepEqual(
    demo.users.map((u) => [u.username, u.team, u.role]),
    [
      ['olivia', 'payments', 'operator'],
      ['victor', 'analytics', 'viewer'],
    ],
  );
  for (const u of demo.users) assert.ok(u.password.length >= 16, 'generated, not a fixed word');
});

test('an operator sees only her team’s clusters, with the create, scale and delete controls', async () => {
  const page = await logIn('olivia');
  await page.locator('tr[data-cluster="butler-tenants/production"]').waitFor();
  assert.deepEqual(await rows(page), ['butler-tenants/production']);
  assert.equal(await page.inputValue('#team-switcher'), 'payments');
  assert.equal(await page.locator('body').getAttribute('data-role'), 'operator');
  await page.locator('#create-form').waitFor();
  await page.click('tr[data-cluster="butler-tenants/production"] a');
  await page.locator('#scale-cluster').waitFor();
  assert.equal(await page.locator('#delete-cluster').count(), 1);
  assert.equal(await page.locator('[data-nav="management"]').isHidden(), true, 'no management pages');
  await page.context().close();
});

test('a viewer sees only his team’s clusters, read-only: no create, scale or delete', async () => {
  const page = await logIn('victor');
  await page.locator('tr[data-cluster="butler-tenants/staging"]').waitFor();
  assert.deepEqual(await rows(page), ['butler-tenants/staging']);
  assert.equal(await page.inputValue('#team-switcher'), 'analytics');
  assert.equal(await page.locator('body').getAttribute('data-role'), 'viewer');
  await page.locator('#read-only').waitFor();
  assert.equal(await page.locator('#create-form').count(), 0);
  await page.click('tr[data-cluster="butler-tenants/staging"] a');
  await page.locator('#cluster-name').waitFor();
  assert.equal(await page.locator('#scale-cluster').count(), 0);
  assert.equal(await page.locator('#delete-cluster').count(), 0);
  await page.locator('text=read-only terminal').waitFor();
  await page.context().close();
});
