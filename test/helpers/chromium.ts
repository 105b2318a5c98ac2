// Headless Chromium for the browser tests (playwright-core driving the system's /usr/bin/chromium).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type Demo } from '../../demo/main.js';
import { lineCollector } from './server.js';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

export interface DemoPage {
  demo: Demo;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** The demo (quiet logs) and one Chromium page, for tests that drive the built-in console page. */
export async function startDemoPage(): Promise<DemoPage> {
  const demo = await startDemo({ addr: '127.0.0.1:0', logStream: lineCollector([]) });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(20_000);
    const started = browser;
    return {
      demo,
      browser,
      page,
      async close() {
        await started.close();
        await demo.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await demo.stop();
    throw err;
  }
}

/** Starts a DemoPage before the file's tests and closes it after them; `current()` gives it to the tests. */
export function demoPageForTests(): { current(): DemoPage } {
  let env: DemoPage | undefined;
  before(async () => {
    env = await startDemoPage();
  });
  after(async () => {
    await env?.close();
  });
  return {
    current() {
      if (!env) throw new Error('the demo page is not started');
      return env;
    },
  };
}
