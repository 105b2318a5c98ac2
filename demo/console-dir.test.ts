// Config.builtinConsoleDir, through the production app: the demo's console folder takes the place of the built-in
// page when no static directory is configured, with the SPA fallback; a configured static directory still wins.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { buildServices, type Services } from '../src/services.js';
import { butlerCrds } from '../sim/crds.js';
import { startSimulator, type Simulator } from '../sim/index.js';

describe('builtinConsoleDir', () => {
  let sim: Simulator;
  let dir: string;
  const running: { app: FastifyInstance; services: Services }[] = [];

  async function serve(o: { staticDir?: string; builtinConsoleDir?: string }): Promise<string> {
    const args = ['--kubeconfig', sim.kubeconfigPath, '--addr', '127.0.0.1:0'];
    if (o.staticDir) args.push('--static-dir', o.staticDir);
    const config = {
      ...loadConfig(args, {
        BUTLER_JWT_SECRET: 'x'.repeat(40),
        BUTLER_ADMIN_PASSWORD: 'not-the-default',
        BUTLER_LOG_LEVEL: 'silent',
      }),
      ...(o.builtinConsoleDir ? { builtinConsoleDir: o.builtinConsoleDir } : {}),
    };
    const services = await buildServices(config);
    const app = await buildApp(config, services, { logger: false });
    services.start();
    running.push({ app, services });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  }

  before(async () => {
    sim = await startSimulator({
      crds: butlerCrds(),
      seed: ['butler-system', 'butler-tenants'].map((name) => ({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      })),
    });
    dir = mkdtempSync(join(tmpdir(), 'butler-console-dir-'));
    mkdirSync(join(dir, 'console', 'js'), { recursive: true });
    writeFileSync(join(dir, 'console', 'index.html'), '<!doctype html><p>DEMO-CONSOLE</p>');
    writeFileSync(join(dir, 'console', 'js', 'app.js'), 'export const demo = true;');
    mkdirSync(join(dir, 'static'));
    writeFileSync(join(dir, 'static', 'index.html'), '<!doctype html><p>REAL-CONSOLE</p>');
  });

  after(async () => {
    for (const { app, services } of running) {
      await app.close();
      await services.close();
    }
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the folder, falls back to its index.html, keeps the CSP', async () => {
    const url = await serve({ builtinConsoleDir: join(dir, 'console') });
    const js = await fetch(`${url}/js/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /text\/javascript/);
    assert.equal(await js.text(), 'export const demo = true;');
    for (const path of ['/', '/clusters/butler-tenants/x']) {
      const page = await fetch(`${url}${path}`);
      assert.equal(page.status, 200, path);
      assert.match(await page.text(), /DEMO-CONSOLE/);
      assert.equal(page.headers.get('cache-control'), 'no-store');
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    }
  });

  it('a configured static directory wins over it', async () => {
    const url = await serve({ staticDir: join(dir, 'static'), builtinConsoleDir: join(dir, 'console') });
    assert.match(await (await fetch(`${url}/`)).text(), /REAL-CONSOLE/);
    assert.equal((await fetch(`${url}/js/app.js`)).status, 200, 'SPA fallback to the static index.html');
    assert.match(await (await fetch(`${url}/js/app.js`)).text(), /REAL-CONSOLE/);
  });

  it('without either, the built-in page explains how to configure a console', async () => {
    const url = await serve({});
    const text = await (await fetch(`${url}/`)).text();
    assert.match(text, /No console build is configured/);
  });
});
