// A 50 MB list streams through the proxy without being held: the server runs as its own process and its peak
// resident memory (VmHWM in /proc/<pid>/status) is compared before and after the list.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Simulator } from '../../sim/index.js';
import { startServerProcess, type ServerProcess } from '../helpers/process.js';
import { login } from '../helpers/server.js';
import { clusterAdminFor, startButlerSimulator } from '../helpers/sim.js';
import { namespace, open, readAll, request, type Answer } from './fixture.js';

const PASSWORD = 'memory-test-password';
const ITEMS = Number(process.env.ITEMS ?? 500);
const ITEM_BYTES = 100 * 1024;
/** Bytes the proxy's streams may hold before new proxy requests get 503 (issue 13). */
const MAX_BUFFERED_BYTES = 8 * 1024;
/** Far less than the 50 MB that went through. */
const MAX_GROWTH_BYTES = 20 * 1024 * 1024;

let sim: Simulator;
let proc: ServerProcess;

function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error('no VmHWM');
  return Number(m[1]) * 1024;
}

before(async () => {
  const filler = 'x'.repeat(ITEM_BYTES);
  const items = Array.from({ length: ITEMS }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `big-${i}`, namespace: 'big' },
    data: { filler },
  }));
  // The proxy reads as the user: the test admin has full rights on the management cluster.
  sim = await startButlerSimulator({ seed: [namespace('big'), ...clusterAdminFor('admin@butler.local'), ...items] });
  proc = await startServerProcess({
    args: ['--kubeconfig', sim.kubeconfigPath, '--addr', '127.0.0.1:0'],
    env: {
      BUTLER_JWT_SECRET: randomBytes(32).toString('hex'),
      BUTLER_ADMIN_PASSWORD: PASSWORD,
      BUTLER_PROXY_MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES),
    },
  });
});
after(async () => {
  await proc?.stop();
  await sim?.stop();
});

async function adminToken(): Promise<string> {
  // Sessions are usable once the revocation store has synced (/readyz).
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${proc.url}/readyz`).catch(() => undefined))?.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < 50; i++) {
    try {
      return (await login(proc.url, 'admin', PASSWORD)).token;
    } catch {
      await new Promise((r) => setTimeout(r, 100)); // the revocation store is still syncing
    }
  }
  assert.fail('could not log in');
}

async function listThroughProxy(token: string, limit?: number): Promise<number> {
  const query = limit ? `?limit=${limit}` : '';
  const res = await open(proc.url, `/api/proxy/management/api/v1/namespaces/big/configmaps${query}`, {
    headers: { authorization: `Bearer ${token}` },
    timeoutMs: 30_000,
  });
  if (res.statusCode !== 200) assert.fail(`HTTP ${res.statusCode}: ${await readAll(res)}`);
  let bytes = 0;
  for await (const chunk of res) bytes += (chunk as Buffer).length;
  return bytes;
}

it(
  'streams a 50 MB list with the server peak memory growing by far less than 50 MB',
  { skip: process.platform !== 'linux' && 'needs /proc' },
  async () => {
    const token = await adminToken();
    // Warm up with 10 MB pages: the young generation grows to its working size on the first megabytes that
    // pass (about 30 MB of RSS, whatever the size of the list). What is measured after that is what the 50 MB
    // list adds: held whole, it would add about 50 MB.
    for (let i = 0; i < 3; i++) await listThroughProxy(token, 100);
    const pid = proc.child.pid!;
    const before = peakRss(pid);
    const bytes = await listThroughProxy(token);
    const after = peakRss(pid);
    assert.ok(bytes > ITEMS * ITEM_BYTES, `only ${bytes} bytes came through`);
    const growth = after - before;
    assert.ok(
      growth < MAX_GROWTH_BYTES,
      `peak RSS grew by ${(growth / 1048576).toFixed(1)} MiB for a ${(bytes / 1048576).toFixed(1)} MiB list`,
    );
    console.log(
      `# ${(bytes / 1048576).toFixed(1)} MiB through the proxy; server peak RSS +${(growth / 1048576).toFixed(1)} MiB`,
    );
  },
);

it('a reader that stops makes its stream hold buffers; beyond BUTLER_PROXY_MAX_BUFFERED_BYTES new requests get 503', async () => {
  const token = await adminToken();
  const headers = { authorization: `Bearer ${token}` };
  const path = '/api/proxy/management/api/v1/namespaces/big/configmaps';
  const stalled = await open(proc.url, path, { headers, timeoutMs: 30_000 });
  stalled.pause();
  try {
    let refused: Answer | undefined;
    for (let i = 0; i < 50 && !refused; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const a = await request(proc.url, `${path}?limit=1`, { headers });
      if (a.status === 503) refused = a;
      else assert.equal(a.status, 200, a.text);
    }
    assert.ok(refused, 'refused while the stalled stream holds its buffers');
    // Proxy answers are Kubernetes Status objects (for kubectl).
    const status = JSON.parse(refused.text);
    assert.equal(status.kind, 'Status');
    assert.equal(status.code, 503);
    assert.equal(status.message, 'proxy buffers are full; try again later');
    assert.equal(refused.headers['retry-after'], '1');
  } finally {
    stalled.destroy();
  }
  let last = 0;
  for (let i = 0; i < 50 && last !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    last = (await request(proc.url, `${path}?limit=1`, { headers })).status;
  }
  assert.equal(last, 200, 'served again once the stalled stream is gone');
});
