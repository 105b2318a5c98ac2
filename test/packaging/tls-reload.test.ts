// HTTPS from BUTLER_TLS_CERT_FILE/KEY_FILE: served directly with Secure cookies, and after the files are replaced
// new connections get the new certificate without a restart (a half-rotated pair is not installed).
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from 'node:tls';
import { startButlerSimulator } from '../helpers/sim.js';
import { startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../helpers/server.js';
import type { Simulator } from '../../sim/index.js';
import { generateSelfSignedCert } from '../../sim/tls.js';

let dir: string;
let sim: Simulator;
let server: TestServer;
let port: number;

/** Replaces a file atomically, as a Secret volume update does. */
function replace(path: string, content: string) {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

/** The CN of the certificate a new TLS connection is served. */
function servedName(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      socket.end();
      resolve(String(cn));
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS connect timed out')));
    socket.on('error', reject);
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'butler-tls-'));
  const first = generateSelfSignedCert({ cn: 'first', subjectAltName: 'IP:127.0.0.1', days: 1 });
  writeFileSync(join(dir, 'tls.crt'), first.cert);
  writeFileSync(join(dir, 'tls.key'), first.key);
  sim = await startButlerSimulator();
  server = await startTestServer({
    sim,
    env: { BUTLER_TLS_CERT_FILE: join(dir, 'tls.crt'), BUTLER_TLS_KEY_FILE: join(dir, 'tls.key') },
  });
  port = Number(new URL(server.url).port);
});
after(async () => {
  await server?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('HTTPS is served directly and the session cookie is Secure', async () => {
  assert.ok(server.url.startsWith('https://'));
  assert.equal(await servedName(), 'first');
  const cookie = await new Promise<string>((resolve, reject) => {
    const body = JSON.stringify({ username: 'admin', password: TEST_ADMIN_PASSWORD });
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      socket.write(
        `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.on('end', () => resolve(/^set-cookie: (butler_session=.*)$/im.exec(text)?.[1] ?? ''));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
  });
  assert.match(cookie, /; Secure/);
});

test('replaced files reach new connections without a restart; a mismatched pair is not installed', async () => {
  const second = generateSelfSignedCert({ cn: 'second', subjectAltName: 'IP:127.0.0.1', days: 1 });
  const third = generateSelfSignedCert({ cn: 'third', subjectAltName: 'IP:127.0.0.1', days: 1 });
  // Half a rotation: the new certificate next to the old key is refused, the old pair keeps serving.
  replace(join(dir, 'tls.crt'), second.cert);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await servedName(), 'first');
  assert.ok(server.logs.some((l) => l.includes('do not form a valid pair')));
  replace(join(dir, 'tls.key'), second.key);
  let name = '';
  const deadline = Date.now() + 6000;
  while (Date.now() < deadline && (name = await servedName()) !== 'second')
    await new Promise((r) => setTimeout(r, 200));
  assert.equal(name, 'second');
  assert.ok(server.logs.some((l) => l.includes('TLS certificate reloaded')));
  // And once more, replacing both files at once.
  replace(join(dir, 'tls.key'), third.key);
  replace(join(dir, 'tls.crt'), third.cert);
  const deadline2 = Date.now() + 6000;
  while (Date.now() < deadline2 && (name = await servedName()) !== 'third')
    await new Promise((r) => setTimeout(r, 200));
  assert.equal(name, 'third');
  const res = await fetch(`${server.url.replace('https', 'http')}/healthz`).catch((e: unknown) => e);
  assert.ok(res instanceof Error, 'plain HTTP is not served on the TLS port');
});
