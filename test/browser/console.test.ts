// The built-in console page in headless Chromium against the demo environment (fast controller timing): log in,
// see the seeded clusters, create one and watch it become Ready without a reload, scale it and see the nodes view
// change, run kubectl in its terminal, validate a provider, log out. Screenshots go to artifacts/ (not committed).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../demo/main.js';
import { launchChromium } from '../helpers/chromium.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = join(ROOT, 'artifacts', 'browser');
const STEP_TIMEOUT_MS = 20_000;

let demo: Demo;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  demo = await startDemo({
    addr: '127.0.0.1:0',
    timing: { clusterStepMs: 700, scaleMs: 300, deleteMs: 300, addonStepMs: 300 },
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test('the console: login, live clusters, create → Ready, scale, terminal, provider check, logout', async (t) => {
  await t.test('logs in', async () => {
    await page.goto(demo.url);
    await page.locator('#login-form').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#nav').isHidden(), true, 'no navigation before login');
    assert.equal(await page.locator('#live').isHidden(), true);
    await shot('01-login');
    await page.fill('#login-form input[name=username]', demo.username);
    await page.fill('#login-form input[name=password]', demo.password!);
    await page.click('#login-form button[type=submit]');
    await page.locator('#logout').waitFor({ state: 'visible' });
  });

  await t.test('sees the three seeded clusters, live', async () => {
    for (const name of ['production', 'staging', 'legacy']) {
      await page.locator(`tr[data-cluster="butler-tenants/${name}"]`).waitFor();
    }
    await page.locator('#live.on').waitFor();
    await page.locator('tr[data-cluster="butler-tenants/legacy"] [data-phase="Failed"]').waitFor();
    await shot('02-clusters');
  });

  await t.test('creates a cluster and sees it become Ready without a reload', async () => {
    // Survives only as long as the document does: a reload would drop it.
    await page.evaluate(() => ((globalThis as unknown as { noReload: boolean }).noReload = true));
    await page
      .locator('#create-form select[name=providerConfigRef] option[value=harvester]')
      .waitFor({ state: 'attached' });
    await page.fill('#create-form input[name=name]', 'browser-dev');
    await page.selectOption('#create-form select[name=providerConfigRef]', 'harvester');
    await page.fill('#create-form input[name=workerReplicas]', '2');
    await page.click('#create-form button[type=submit]');
    const row = page.locator('tr[data-cluster="butler-tenants/browser-dev"]');
    await row.waitFor();
    await shot('03-created');
    await row.locator('[data-phase="Ready"]').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { noReload?: boolean }).noReload), true);
    await shot('04-ready');
  });

  await t.test('the form keeps its defaults after a create, so a second create works', async () => {
    assert.equal(await page.inputValue('#create-form input[name=namespace]'), 'butler-tenants');
    assert.match(await page.inputValue('#create-form input[name=kubernetesVersion]'), /^v1\.\d+\.\d+$/);
    assert.equal(await page.inputValue('#create-form input[name=workerReplicas]'), '2');
    await page.fill('#create-form input[name=name]', 'browser-second');
    await page.selectOption('#create-form select[name=providerConfigRef]', 'harvester');
    await page.click('#create-form button[type=submit]');
    await page.locator('tr[data-cluster="butler-tenants/browser-second"]').waitFor();
    assert.equal(await page.locator('#create-form .error').innerText(), '');
  });

  await t.test('scales it and sees the node count change in the nodes view', async () => {
    await page.click('tr[data-cluster="butler-tenants/browser-dev"] a');
    await page.locator('#node-count[data-count="3"]').waitFor();
    await page.fill('input[name=replicas]', '4');
    await page.click('#scale-cluster');
    await page.locator('#node-count[data-count="5"]').waitFor();
    await page.locator('tr[data-node="browser-dev-worker-4"]').waitFor();
    // Memory as people read it, not the raw quantity.
    const memory = await page.locator('tr[data-node="browser-dev-worker-4"] td').nth(6).innerText();
    assert.match(memory, /^\d+(\.\d)? (MiB|GiB)$/);
    await shot('05-scaled');
  });

  await t.test('downloads a kubeconfig for kubectl through butler-server', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-kubeconfig')]);
    assert.equal(download.suggestedFilename(), 'butler-butler-tenants-browser-dev.kubeconfig');
    const text = await (await download.createReadStream()).toArray();
    const kubeconfig = Buffer.concat(text).toString();
    assert.ok(
      kubeconfig.includes(`server: ${demo.kubectlUrl}/api/proxy/tenant/butler-tenants/browser-dev`),
      kubeconfig,
    );
  });

  await t.test('runs kubectl get nodes in the tenant terminal', async () => {
    await page.click('#open-terminal');
    await page.locator('#terminal-status', { hasText: 'connected' }).waitFor();
    await page.locator('#terminal .xterm-rows').waitFor();
    await page.click('#terminal');
    await page.keyboard.type('kubectl get nodes\n');
    const rows = page.locator('#terminal .xterm-rows');
    await rows.filter({ hasText: 'browser-dev-worker-4' }).waitFor();
    const text = await rows.innerText();
    assert.match(text, /browser-dev-cp-1\s+Ready\s+control-plane/);
    assert.match(text, /browser-dev-worker-1\s+Ready/);
    await shot('06-terminal');
  });

  await t.test('validates a provider', async () => {
    await page.click('a[data-nav=providers]');
    const row = page.locator('tr[data-provider="nutanix"]');
    await row.locator('button.validate').click();
    await row.locator('[data-valid="true"]', { hasText: 'Connected to Nutanix Prism Central successfully' }).waitFor();
    await shot('07-provider-validated');
  });

  await t.test('shows the management cluster with its addons', async () => {
    await page.click('a[data-nav=management]');
    await page.getByText('3/3 nodes ready').waitFor();
    await page.getByText('Prometheus Stack').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#download-management-kubeconfig'),
    ]);
    assert.equal(download.suggestedFilename(), 'butler-management.kubeconfig');
    await shot('08-management');
  });

  await t.test('logs out and is back at the login form', async () => {
    await page.click('#logout');
    await page.locator('#login-form').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#app-view').isHidden(), true);
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    assert.equal(me, 401);
    await shot('09-logged-out');
  });

  // The session check before login and after logout answers 401 by design; anything else is a defect.
  assert.deepEqual(
    pageErrors.filter((e) => !e.includes('status of 401 (Unauthorized)')),
    [],
    'errors in the page',
  );
});
