// Headless Chromium for the browser tests (playwright-core driving the system's /usr/bin/chromium).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ControllerTiming } from '../../demo/controller.js';
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
  /** Uncaught errors of the page, in order. */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface DemoPageOptions {
  viewport?: { width: number; height: number };
  /** The demo controller's step times (its defaults otherwise). */
  timing?: ControllerTiming;
}

/** The demo (quiet logs) and one Chromium page, for tests that drive the built-in console page. */
export async function startDemoPage(o: DemoPageOptions = {}): Promise<DemoPage> {
  const demo = await startDemo({
    addr: '127.0.0.1:0',
    logStream: lineCollector([]),
    ...(o.timing ? { timing: o.timing } : {}),
  });
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: o.viewport ?? { width: 1280, height: 800 } });
    page.setDefaultTimeout(20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const started = browser;
    return {
      demo,
      browser,
      page,
      pageErrors,
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
export function demoPageForTests(o: DemoPageOptions = {}): { current(): DemoPage } {
  let env: DemoPage | undefined;
  before(async () => {
    env = await startDemoPage(o);
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
