// During shutdown: /readyz answers 503 at once while an in-flight request still completes and ends its connection.
// The listener is already closed then, so /readyz is asked on a connection opened before.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Simulator } from '../../sim/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startButlerSimulator } from '../helpers/sim.js';

let sim: Simulator | undefined;
let server: TestServer | undefined;
after(async () => {
  await server?.close().catch(() => undefined);
  await sim?.stop();
});

async function freshServer(): Promise<TestServer> {
  sim ??= await startButlerSimulator();
  server = await startTestServer({ sim });
  return server;
}

test('/readyz is 503 from the start of shutdown; the in-flight request completes', async () => {
  const server = await freshServer();
  const { token } = await server.login();

  sim!.faults.setLatency(1500);
  const logout = fetch(`${server.url}/api/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
  // A probe connection whose request has begun before the close (so the close does not drop it as idle)
  // and is completed after it.
  const probe = net.connect(Number(new URL(server.url).port), '127.0.0.1');
  let probeAnswer = '';
  probe.setEncoding('utf8');
  probe.on('data', (d: string) => (probeAnswer += d));
  const probeClosed = new Promise<void>((resolve) => probe.on('close', () => resolve()));
  await new Promise<void>((resolve) => probe.once('connect', () => resolve()));
  probe.write('GET /readyz HTTP/1.1\r\nHost: x\r\n');
  await new Promise((r) => setTimeout(r, 300));

  const closing = server.app.close();
  await new Promise((r) => setTimeout(r, 50)); // close() runs its preClose hooks asynchronously
  probe.write('\r\n');
  await Promise.race([probeClosed, new Promise((r) => setTimeout(r, 5000))]);
  probe.destroy();
  assert.match(probeAnswer, /^HTTP\/1\.1 503 /);
  assert.match(probeAnswer, /\{"status":"not ready","checks":\{"server":"shutting down"\}\}/);
  assert.match(probeAnswer, /connection: close/i);

  const answer = await logout;
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('connection'), 'close');
  assert.deepEqual(await answer.json(), { status: 'logged_out', message: 'logged out' });
  await closing;
  sim!.faults.setLatency(0);
});

test('a keep-alive connection whose answer began before the close ends with that answer, not at its idle timeout', async () => {
  // A 32 MiB static file read slowly: its headers (keep-alive) go out before the close, its end comes after.
  const dir = mkdtempSync(join(tmpdir(), 'butler-drain-'));
  try {
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 7));
    await server?.close().catch(() => undefined);
    sim ??= await startButlerSimulator();
    server = await startTestServer({ sim, env: { BUTLER_STATIC_DIR: dir } });
    const probe = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    let head = '';
    let bodyBytes = 0;
    probe.on('data', (d: Buffer) => {
      if (head.includes('\r\n\r\n')) bodyBytes += d.length;
      else {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0) {
          bodyBytes = Buffer.byteLength(head.slice(end + 4), 'latin1');
          head = head.slice(0, end + 4);
          probe.pause();
        }
      }
    });
    const probeClosed = new Promise<void>((resolve) => probe.on('close', () => resolve()));
    await new Promise<void>((resolve) => probe.once('connect', () => resolve()));
    probe.write('GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    for (let i = 0; i < 100 && !head.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(head, /connection: close/i);

    const closed = server.app.close().then(() => 'closed');
    await new Promise((r) => setTimeout(r, 300));
    probe.resume();
    const outcome = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('still open'), 10_000))]);
    await Promise.race([probeClosed, new Promise((r) => setTimeout(r, 2000))]);
    probe.destroy();
    assert.equal(bodyBytes, 32 * 1024 * 1024, 'the whole answer arrived');
    assert.equal(
      outcome,
      'closed',
      'the close waited for the keep-alive timeout (72 s) of a connection with nothing on it',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
