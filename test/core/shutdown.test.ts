// Graceful shutdown of the real process: SIGTERM during a request that waits on a slow Kubernetes API.
// The request completes, WebSockets close with 1001, and the process exits 0 within 10 s.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import type { Simulator } from '../../sim/index.js';
import { startButlerSimulator } from '../helpers/sim.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { login } from '../helpers/server.js';

const PASSWORD = 'shutdown-test-password';
let sim: Simulator | undefined;
let proc: ServerProcess | undefined;
after(async () => {
  await proc?.stop(2000);
  await sim?.stop();
});

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${url}/readyz`).catch(() => undefined);
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms: ${r ? await r.text() : 'no answer'}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

test('SIGTERM during a slow request: it completes, sockets get 1001, exit 0 within 10 s', async () => {
  sim = await startButlerSimulator();
  proc = await startServerProcess({
    args: ['--kubeconfig', sim.kubeconfigPath, '-addr', '127.0.0.1:0'],
    env: { BUTLER_JWT_SECRET: randomBytes(32).toString('hex'), BUTLER_ADMIN_PASSWORD: PASSWORD },
  });
  await waitReady(proc.url, 10_000);
  const { token } = await login(proc.url, 'admin', PASSWORD);

  const socket = new WebSocket(`${proc.url.replace(/^http/, 'ws')}/ws/clusters`);
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });

  sim.faults.setLatency(3000);
  const started = Date.now();
  // Logout answers only after the revocation ConfigMap is stored, so it waits on the slow API.
  const logout = fetch(`${proc.url}/api/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
  await new Promise((res) => setTimeout(res, 500));
  const signalled = Date.now();
  proc.child.kill('SIGTERM');

  const answer = await logout;
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { status: 'logged_out', message: 'logged out' });
  assert.ok(Date.now() - started >= 3000, 'the request really waited on the slow API');

  assert.equal(await closed, 1001);
  const exit = await proc.exited;
  const took = Date.now() - signalled;
  assert.equal(exit.code, 0, `${proc.stderr()}\n${proc.stdout().slice(-3000)}`);
  assert.ok(took < 10_000, `exit took ${took} ms`);
  assert.match(proc.stdout(), /"msg":"shutting down"/);
  assert.match(proc.stdout(), /"msg":"stopped"/);
  sim.faults.setLatency(0);
});
