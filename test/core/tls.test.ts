// Serving HTTPS directly (BUTLER_TLS_CERT_FILE/KEY_FILE): HSTS and a wss: connect-src on the console page.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { servingCert } from '../../sim/tls.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startButlerSimulator } from '../helpers/sim.js';

const dir = mkdtempSync(join(tmpdir(), 'butler-tls-'));
let sim: Simulator | undefined;
let server: TestServer | undefined;
after(async () => {
  await server?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function get(url: string, ca: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('HTTPS listener: HSTS, wss: in connect-src, API reachable', async (t) => {
  const cert = servingCert();
  if (!cert) return t.skip('openssl not available');
  writeFileSync(join(dir, 'tls.crt'), cert.cert);
  writeFileSync(join(dir, 'tls.key'), cert.key, { mode: 0o600 });
  sim = await startButlerSimulator();
  server = await startTestServer({
    sim,
    env: { BUTLER_TLS_CERT_FILE: join(dir, 'tls.crt'), BUTLER_TLS_KEY_FILE: join(dir, 'tls.key') },
  });
  assert.match(server.url, /^https:\/\//);
  const page = await get(`${server.url}/clusters`, cert.cert);
  assert.equal(page.status, 200);
  assert.equal(page.headers['strict-transport-security'], 'max-age=31536000');
  const port = new URL(server.url).port;
  assert.match(
    String(page.headers['content-security-policy']),
    new RegExp(`connect-src 'self' wss://127\\.0\\.0\\.1:${port};`),
  );
  const health = await get(`${server.url}/healthz`, cert.cert);
  assert.equal(health.status, 200);
  assert.equal(health.text, '{"status":"ok"}');
});
