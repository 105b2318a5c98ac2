// Static console files through the production app (docs/api.md §7): traversal, SPA fallback, caching, precompression.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Simulator } from '../../sim/index.js';
import { startButlerSimulator } from '../../test/helpers/sim.js';
import { rawRequest } from '../../test/helpers/http.js';
import { startTestServer, type TestServer } from '../../test/helpers/server.js';

const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';
const INDEX = '<!doctype html><html><body>CONSOLE-INDEX</body></html>';
const APP_JS = 'console.log("app");'.repeat(50);

const tmp = mkdtempSync(join(tmpdir(), 'butler-static-'));
const root = join(tmp, 'www');
let sim: Simulator;
let server: TestServer;
let bare: TestServer;

before(async () => {
  mkdirSync(join(root, 'assets'), { recursive: true });
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(tmp, 'outside-dir'), { recursive: true });
  writeFileSync(join(tmp, 'secret.txt'), SECRET);
  writeFileSync(join(tmp, 'outside-dir', 'secret.txt'), SECRET);
  writeFileSync(join(root, 'index.html'), INDEX);
  writeFileSync(join(root, 'robots.txt'), 'User-agent: *');
  writeFileSync(join(root, '.env'), SECRET);
  writeFileSync(join(root, 'sub', 'page.txt'), 'sub page');
  writeFileSync(join(root, 'assets', 'app.abc123.js'), APP_JS);
  writeFileSync(join(root, 'assets', 'app.abc123.js.br'), brotliCompressSync(APP_JS));
  writeFileSync(join(root, 'assets', 'app.abc123.js.gz'), gzipSync(APP_JS));
  writeFileSync(join(root, 'assets', 'style.css'), 'body{}');
  symlinkSync(join(tmp, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(tmp, 'outside-dir'), join(root, 'link-dir'));
  symlinkSync(join(root, 'robots.txt'), join(root, 'link-in.txt'));
  // A precompressed sibling that escapes the root must not be served either.
  symlinkSync(join(tmp, 'secret.txt'), join(root, 'assets', 'style.css.gz'));
  sim = await startButlerSimulator();
  server = await startTestServer({ sim, args: ['--static-dir', root] });
  bare = await startTestServer({ sim, env: { BUTLER_CSP: "default-src 'none'" } });
});
after(async () => {
  await server?.close();
  await bare?.close();
  await sim?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('no file outside the root is ever served', () => {
  const attempts = [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/..%5c..%5csecret.txt',
    '/%252e%252e%252fsecret.txt',
    '/index.html%00',
    '/%00../secret.txt',
    '/robots.txt%00.html',
    `/${encodeURIComponent(join(tmp, 'secret.txt'))}`,
    `/${join(tmp, 'secret.txt')}`,
    `//${join(tmp, 'secret.txt')}`,
    '//etc/passwd',
    '/%2fetc%2fpasswd',
    '/link-out.txt',
    '/link-dir/secret.txt',
    '/assets/style.css',
    '/.env',
    '/%2eenv',
    '/sub/./page.txt',
  ];
  for (const path of attempts) {
    test(path, async () => {
      const r = await rawRequest(server.url, 'GET', path, { headers: { 'accept-encoding': 'gzip' } });
      assert.ok(!r.text.includes(SECRET), `secret served for ${path}`);
      assert.ok(!/root:.*:0:0:/.test(r.text), `/etc/passwd served for ${path}`);
      assert.ok([200, 400, 404].includes(r.status), `status ${r.status}`);
      if (r.status === 200 && path !== '/assets/style.css') assert.equal(r.text, INDEX, 'only the SPA fallback');
    });
  }

  test('a symlink inside the root to a file inside the root is served', async () => {
    const r = await rawRequest(server.url, 'GET', '/link-in.txt');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'User-agent: *');
  });
});

describe('SPA fallback and files', () => {
  test('deep links get index.html with no-store and the CSP', async () => {
    for (const path of ['/', '/clusters/ns/name?tab=nodes', '/providers/create', '/sub', '/sub/']) {
      const r = await rawRequest(server.url, 'GET', path);
      assert.equal(r.status, 200, path);
      assert.equal(r.text, INDEX, path);
      assert.equal(r.headers['cache-control'], 'no-store', path);
      assert.match(String(r.headers['content-type']), /^text\/html/);
      const port = new URL(server.url).port;
      assert.match(
        String(r.headers['content-security-policy']),
        new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${port};`),
      );
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    }
    const direct = await rawRequest(server.url, 'GET', '/index.html');
    assert.equal(direct.headers['cache-control'], 'no-store');
  });

  test('security headers; HSTS only on HTTPS', async () => {
    const r = await rawRequest(server.url, 'GET', '/robots.txt');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'same-origin');
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(r.headers['strict-transport-security'], undefined);
    assert.equal(r.headers['content-security-policy'], undefined, 'CSP on HTML only');
    assert.equal(r.headers['cache-control'], 'no-cache');
  });

  test('assets are immutable for a year; a missing asset is 404 JSON, never HTML', async () => {
    const r = await rawRequest(server.url, 'GET', '/assets/app.abc123.js');
    assert.equal(r.status, 200);
    assert.equal(r.text, APP_JS);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(r.headers['content-type']), /^text\/javascript/);
    for (const path of ['/assets/missing.js', '/assets/', '/assets/sub/x.css']) {
      const missing = await rawRequest(server.url, 'GET', path);
      assert.equal(missing.status, 404, path);
      assert.match(String(missing.headers['content-type']), /^application\/json/);
      assert.equal(typeof missing.json.error, 'string');
    }
  });

  test('precompressed siblings by Accept-Encoding, with Vary', async () => {
    const br = await rawRequest(server.url, 'GET', '/assets/app.abc123.js', {
      headers: { 'accept-encoding': 'gzip, br' },
    });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.deepEqual(br.body, brotliCompressSync(APP_JS));
    assert.match(String(br.headers['content-type']), /^text\/javascript/);
    assert.equal(br.headers.vary, 'Accept-Encoding');
    const gz = await rawRequest(server.url, 'GET', '/assets/app.abc123.js', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gz.body, gzipSync(APP_JS));
    const refused = await rawRequest(server.url, 'GET', '/assets/app.abc123.js', {
      headers: { 'accept-encoding': 'br;q=0, gzip' },
    });
    assert.equal(refused.headers['content-encoding'], 'gzip');
    const plain = await rawRequest(server.url, 'GET', '/assets/app.abc123.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers.vary, 'Accept-Encoding');
    assert.equal(plain.text, APP_JS);
    assert.notEqual(plain.headers.etag, br.headers.etag);
  });

  test('ETag and Last-Modified give 304', async () => {
    const first = await rawRequest(server.url, 'GET', '/assets/app.abc123.js');
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);
    assert.ok(etag.length > 2 && lastModified.length > 0);
    const byTag = await rawRequest(server.url, 'GET', '/assets/app.abc123.js', { headers: { 'if-none-match': etag } });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.body.length, 0);
    const byDate = await rawRequest(server.url, 'GET', '/assets/app.abc123.js', {
      headers: { 'if-modified-since': lastModified },
    });
    assert.equal(byDate.status, 304);
    const changed = await rawRequest(server.url, 'GET', '/assets/app.abc123.js', {
      headers: { 'if-none-match': '"other"' },
    });
    assert.equal(changed.status, 200);
    const old = await rawRequest(server.url, 'GET', '/assets/app.abc123.js', {
      headers: { 'if-modified-since': new Date(0).toUTCString() },
    });
    assert.equal(old.status, 200);
  });

  test('HEAD answers headers only; other methods are 405 JSON', async () => {
    const head = await rawRequest(server.url, 'HEAD', '/assets/app.abc123.js');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(APP_JS.length));
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await rawRequest(server.url, method, '/clusters');
      assert.equal(r.status, 405, method);
      assert.deepEqual(r.json, { error: 'method not allowed' });
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
  });
});

describe('without a static directory', () => {
  test('a built-in page explains how to configure the console, with the configured CSP', async () => {
    for (const path of ['/', '/clusters/x']) {
      const r = await rawRequest(bare.url, 'GET', path);
      assert.equal(r.status, 200);
      assert.match(r.text, /butler-server/);
      assert.match(r.text, /--static-dir/);
      assert.match(r.text, /BUTLER_STATIC_DIR/);
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.headers['content-security-policy'], "default-src 'none'");
    }
    const asset = await rawRequest(bare.url, 'GET', '/assets/app.js');
    assert.equal(asset.status, 404);
  });
});
