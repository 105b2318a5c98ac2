// The built-in console page's cluster detail in headless Chromium against the demo: the control plane's certificates
// (from the seeded Kamaji Secrets) with a renewal request, and the edit form (PUT with resourceVersion), including a
// concurrent change that the server refuses with 409 and the form recovers from.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { demoPageForTests } from '../helpers/chromium.js';

/**
 * Polls through the DevTools protocol. The page's Content-Security-Policy forbids eval, which page.waitForFunction's
 * in-page poller needs as soon as its first check fails.
 */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = join(ROOT, 'artifacts', 'browser');
const TC = '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters';

const env = demoPageForTests({
  viewport: { width: 1280, height: 1400 },
  timing: { clusterStepMs: 700, scaleMs: 300, deleteMs: 300, addonStepMs: 300 },
});

const stored = async (name: string) => {
  const { management } = env.current().demo;
  const res = await fetch(`${management.url}${TC}/${name}`, {
    headers: { authorization: `Bearer ${management.token}` },
  });
  return (await res.json()) as any;
};

test('cluster detail: certificates and the edit form', async (t) => {
  const { demo, page, pageErrors } = env.current();
  mkdirSync(ARTIFACTS, { recursive: true });
  await t.test('logs in and opens the production cluster', async () => {
    await page.goto(demo.url);
    await page.fill('#login-form input[name=username]', demo.username);
    await page.fill('#login-form input[name=password]', demo.password!);
    await page.click('#login-form button[type=submit]');
    await page.locator('#logout').waitFor({ state: 'visible' });
    await page.goto(`${demo.url}/#/clusters/butler-tenants/production`);
    await page.locator('#cluster-name').waitFor();
  });

  await t.test('shows the control plane certificates with SANs, issuer, days left and health', async () => {
    const apiServer = page.locator('tr[data-certificate="production-api-server-certificate/apiserver.crt"]');
    await apiServer.waitFor();
    const text = await apiServer.innerText();
    assert.match(text, /CN=kube-apiserver/);
    assert.match(text, /kubernetes\.default\.svc/);
    assert.match(text, /10\.40\.0\.100/);
    assert.match(text, /CN=kubernetes/);
    assert.equal(await apiServer.getAttribute('data-category'), 'apiserver');
    const frontProxy = page.locator(
      'tr[data-certificate="production-front-proxy-client-certificate/front-proxy-client.crt"]',
    );
    assert.ok(['4', '5'].includes((await frontProxy.locator('.days-left').innerText()).trim()));
    await frontProxy.locator('[data-phase="Critical"]').waitFor();
    const summary = page.locator('#certificate-summary');
    assert.ok(Number(await summary.getAttribute('data-count')) >= 8);
    await summary.locator('[data-phase="Critical"]').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'cluster-certificates.png'), fullPage: true });
  });

  await t.test('requests a renewal and shows it in progress', async () => {
    await page.click('#rotate-certificates');
    await page.locator('#rotate-status', { hasText: /^Renewal requested for \d+ Secret\(s\)\.$/ }).waitFor();
    await page.locator('#certificate-summary', { hasText: 'renewal in progress' }).waitFor();
  });

  await t.test('edits workers and the machine template with PUT', async () => {
    const form = page.locator('#edit-form');
    const replicas = page.locator('#edit-form input[name=workerReplicas]');
    await until(async () => (await replicas.inputValue()) === '3', 'the form shows 3 worker replicas');
    const before = await form.getAttribute('data-resource-version');
    await page.fill('#edit-form input[name=workerReplicas]', '4');
    await page.fill('#edit-form input[name=cpu]', '8');
    await form.locator('button[type=submit]').click();
    await page.locator('#edit-status', { hasText: /^Saved \(resourceVersion \d+\)\.$/ }).waitFor();
    const c = await stored('production');
    assert.equal(c.spec.workers.replicas, 4);
    assert.equal(c.spec.workers.machineTemplate.cpu, 8);
    assert.equal(c.spec.workers.machineTemplate.memory, '8Gi', 'unchanged fields stay');
    await until(
      async () => (await form.getAttribute('data-resource-version')) !== before,
      'the form carries the new resourceVersion',
    );
  });

  await t.test('a change made meanwhile is refused with 409 and the form shows the current values', async () => {
    // Wait for the demo controller to finish scaling, so that only the change below moves the object on.
    await page.locator('[data-phase="Ready"]').first().waitFor();
    await page.fill('#edit-form input[name=memory]', '16Gi');
    const scaled = await page.evaluate(async () => {
      const res = await fetch('/api/clusters/butler-tenants/production/scale', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ replicas: 2 }),
      });
      return res.status;
    });
    assert.equal(scaled, 200);
    await page.locator('#edit-form button[type=submit]').click();
    await page
      .locator('#edit-error', { hasText: /was changed since resourceVersion \d+; reload it and edit again/ })
      .waitFor();
    assert.equal(
      (await stored('production')).spec.workers.machineTemplate.memory,
      '8Gi',
      'the stale edit changed nothing',
    );
    assert.equal(await page.inputValue('#edit-form input[name=memory]'), '8Gi');
    await page.screenshot({ path: join(ARTIFACTS, 'cluster-edit-conflict.png'), fullPage: true });
  });

  await t.test('no errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
