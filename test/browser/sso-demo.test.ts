// The demo's single sign-on in headless Chromium: each of the three demo users clicks "Sign in with Demo SSO" on the
// built-in page, signs in at the demo's real OpenID Provider and lands back in Butler seeing exactly their teams'
// clusters (the platform admin all three); a cancelled sign-in ends on the login page with a clear message; logout
// ends the session at the IdP too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDemo, type Demo } from '../../demo/main.js';
import { DEMO_IDP_DISPLAY_NAME } from '../../demo/sso.js';
import { SSO_ERROR_MESSAGES } from '../../src/sso/claims.js';
import { launchChromium } from '../helpers/chromium.js';

const STEP_TIMEOUT_MS = 20_000;
const ALL = ['production', 'staging', 'legacy'];

let demo: Demo;
let browser: Browser;

before(async () => {
  demo = await startDemo({
    sso: true,
    addr: '127.0.0.1:0',
    timing: { clusterStepMs: 700, scaleMs: 300, deleteMs: 300, addonStepMs: 300 },
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** A fresh browser profile (the IdP's certificate is self-signed: trusted for this context only). */
async function freshPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, errors };
}

async function signIn(page: Page, login: string) {
  const user = demo.sso!.users.find((u) => u.login === login)!;
  await page.goto(demo.url);
  const button = page.getByRole('link', { name: `Sign in with ${DEMO_IDP_DISPLAY_NAME}` });
  await button.waitFor();
  await button.click();
  await page.waitForURL((u) => u.href.startsWith(demo.sso!.idp.issuer));
  await page.fill('#login', user.login);
  await page.fill('#password', user.password);
  await page.click('#submit');
  await page.waitForURL((u) => u.href.startsWith(demo.url));
  await page.locator('#logout').waitFor({ state: 'visible' });
}

async function visibleClusters(page: Page): Promise<string[]> {
  await page.locator('tr[data-cluster]').first().waitFor();
  const rows = await page
    .locator('tr[data-cluster]')
    .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-cluster')));
  return rows.map((r) => String(r).split('/')[1]!).sort();
}

const expectations: [string, string[], Record<string, unknown>][] = [
  ['alice', ALL, { platformRole: 'admin', teams: [] }],
  ['oscar', ['production'], { teams: [{ name: 'payments', role: 'operator' }] }],
  ['vera', ['staging'], { teams: [{ name: 'analytics', role: 'viewer' }] }],
];

for (const [login, clusters, me] of expectations) {
  test(`${login} signs in through the IdP and sees exactly ${clusters.join(', ')}`, async () => {
    const { context, page, errors } = await freshPage();
    try {
      await signIn(page, login);
      assert.deepEqual(await visibleClusters(page), [...clusters].sort());
      const body = (await page.evaluate(async () => (await fetch('/api/auth/me')).json())) as Record<string, unknown>;
      assert.equal(body.provider, DEMO_IDP_DISPLAY_NAME);
      for (const [k, v] of Object.entries(me)) assert.deepEqual(body[k], v, k);
      const api = (await page.evaluate(async () => (await fetch('/api/clusters')).json())) as {
        clusters: { metadata: { name: string } }[];
      };
      assert.deepEqual(api.clusters.map((c) => c.metadata.name).sort(), [...clusters].sort());
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
}

test('a cancelled sign-in ends on the login page with a message and no session', async () => {
  const { context, page } = await freshPage();
  try {
    await page.goto(demo.url);
    await page.getByRole('link', { name: `Sign in with ${DEMO_IDP_DISPLAY_NAME}` }).click();
    await page.waitForURL((u) => u.href.startsWith(demo.sso!.idp.issuer));
    await page.click('#cancel');
    await page.waitForURL((u) => u.href.startsWith(`${demo.url}/login?error=access_denied`));
    // The message is the server's (GET /api/auth/providers), the page has no table of its own.
    await page.locator('#login-error', { hasText: SSO_ERROR_MESSAGES.access_denied }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    assert.equal(status, 401);
  } finally {
    await context.close();
  }
});

test('logout ends the Butler session and the IdP session (the next sign-in asks for the password again)', async () => {
  const { context, page } = await freshPage();
  try {
    await signIn(page, 'vera');
    await page.click('#logout');
    // RP-initiated logout: the IdP asks for confirmation, then sends the browser back to Butler's login page.
    await page.waitForURL((u) => u.href.startsWith(demo.sso!.idp.issuer));
    await page.click('#logout-yes');
    await page.waitForURL((u) => u.href.startsWith(`${demo.url}/login`));
    assert.equal(await page.evaluate(async () => (await fetch('/api/auth/me')).status), 401);
    await page.getByRole('link', { name: `Sign in with ${DEMO_IDP_DISPLAY_NAME}` }).click();
    await page.waitForURL((u) => u.href.startsWith(demo.sso!.idp.issuer));
    await page.locator('#password').waitFor();
  } finally {
    await context.close();
  }
});
