// During shutdown: /readyz answers 503 at once while an in-flight request still completes and ends its connection.
// The listener is already closed then, so /readyz is asked on a connection opened before.

import assert from 'node:assert/strict';
import net from 'node:net';
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

test('/readyz is 503 from the start of shutdown; the in-flight request completes', async () => {
  sim = await startButlerSimulator();
  server = await startTestServer({ sim });
  const { token } = await server.login();

  sim.faults.setLatency(1500);
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
  sim.faults.setLatency(0);
});
