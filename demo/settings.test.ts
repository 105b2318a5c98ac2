// The demo takes the server's settings from BUTLER_* variables (generating only what is not given) and serves a
// console build from --static-dir instead of its built-in page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jwtVerify } from 'jose';
import { parseDemoArgs, startDemo, type Demo } from './main.js';

describe('demo settings', () => {
  let demo: Demo;
  let consoleDir: string;
  const secret = 's'.repeat(48);

  before(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), 'butler-demo-static-'));
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>my console build</title>');
    demo = await startDemo({
      addr: '127.0.0.1:0',
      staticDir: consoleDir,
      env: {
        BUTLER_JWT_SECRET: secret,
        BUTLER_ADMIN_USERNAME: 'operator',
        BUTLER_ADMIN_PASSWORD: 'my-own-demo-password',
        BUTLER_TOKEN_TTL: '1h',
        BUTLER_LOG_LEVEL: 'silent',
        BUTLER_KUBECTL_TOKEN_TTL: '30m',
        // Not a BUTLER_ setting: the demo's own management cluster is used, whatever KUBECONFIG says.
        KUBECONFIG: '/nonexistent/kubeconfig',
      },
    });
  });
  after(async () => {
    await demo?.stop();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  it('serves the console build from --static-dir', async () => {
    for (const path of ['/', '/clusters/some/route']) {
      const res = await fetch(`${demo.url}${path}`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /my console build/);
    }
  });

  it('uses the given BUTLER_* settings and generates nothing that was given', async () => {
    assert.equal(demo.username, 'operator');
    assert.equal(demo.password, undefined, 'no password generated (and none printed)');
    const res = await fetch(`${demo.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'operator', password: 'my-own-demo-password' }),
    });
    assert.equal(res.status, 200);
    const { token, expiresAt } = (await res.json()) as { token: string; expiresAt: string };
    await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    const ttl = Date.parse(expiresAt) - Date.now();
    assert.ok(ttl > 55 * 60_000 && ttl <= 60 * 60_000, `session lifetime ${ttl} ms`);
    const kc = await fetch(`${demo.url}/api/management/kubeconfig`, { headers: { authorization: `Bearer ${token}` } });
    const kubectlTtl = Date.parse(((await kc.json()) as { expiresAt: string }).expiresAt) - Date.now();
    assert.ok(kubectlTtl > 25 * 60_000 && kubectlTtl <= 30 * 60_000, `kubectl token lifetime ${kubectlTtl} ms`);
    // Generated where nothing was given: the kubectl listener is the public URL.
    assert.equal(demo.config.http.publicUrl, demo.kubectlUrl);
  });

  it('parses the demo flags and refuses others', () => {
    assert.deepEqual(parseDemoArgs(['--demo', '--static-dir', '/x', '--addr=127.0.0.1:1', '-kubectl-addr', ':2']), {
      staticDir: '/x',
      addr: '127.0.0.1:1',
      kubectlAddr: ':2',
    });
    assert.throws(() => parseDemoArgs(['--kubeconfig', 'x']), /unknown argument "--kubeconfig"/);
    assert.throws(() => parseDemoArgs(['--static-dir']), /--static-dir needs a value/);
  });
});
