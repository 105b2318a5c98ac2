import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { createKubeClient, type KubeClient, type KubeWatchEvent } from './client.js';
import { KubeApiError, toHttpError } from './errors.js';

const NS = 'client-test';
const PAGED = 1203;

interface ConfigMap {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

const configMap = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS, labels },
  data,
});

async function expectKubeError(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `expected KubeApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('KubeClient against the simulator', () => {
  let sim: Simulator;
  let client: KubeClient;
  const cmPath = `/api/v1/namespaces/${NS}/configmaps`;

  before(async () => {
    const paged = Array.from({ length: PAGED }, (_, i) =>
      configMap(`paged-${String(i).padStart(4, '0')}`, { set: 'paged' }),
    );
    sim = await startSimulator({
      seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, ...paged],
      bookmarkIntervalMs: 200,
    });
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    client = createKubeClient(kc, { timeoutMs: 2000 });
  });
  after(async () => {
    client?.close();
    await sim?.stop();
  });

  test('create and get send the kubeconfig token and JSON', async () => {
    sim.recordRequests(true);
    const created = await client.request<ConfigMap>({
      method: 'POST',
      path: cmPath,
      body: configMap('one', {}, { a: '1' }),
    });
    assert.equal(created.metadata.name, 'one');
    const got = await client.request<ConfigMap>({ method: 'GET', path: `${cmPath}/one` });
    assert.deepEqual(got.data, { a: '1' });
    sim.recordRequests(false);
    const seen = sim.requests.filter((r) => r.path.startsWith(cmPath));
    assert.ok(seen.length >= 2);
    for (const r of seen) assert.equal(r.headers.authorization, `Bearer ${sim.token}`);
  });

  test('list pages with limit=500 and continue, returning every item', async () => {
    const already = sim.requests.length;
    sim.recordRequests(true);
    const list = await client.list<ConfigMap>(cmPath, { labelSelector: 'set=paged' });
    sim.recordRequests(false);
    assert.equal(list.items.length, PAGED);
    assert.equal(new Set(list.items.map((i) => i.metadata.name)).size, PAGED);
    assert.match(list.resourceVersion, /^\d+$/);
    const pages = sim.requests.slice(already).filter((r) => r.method === 'GET' && r.path.startsWith(cmPath));
    assert.equal(pages.length, 3, JSON.stringify(pages.map((p) => p.path)));
  });

  test('watch streams events from a resourceVersion and resolves when the stream ends', async () => {
    const start = await client.list<ConfigMap>(cmPath, { labelSelector: 'set=watched' });
    const events: KubeWatchEvent[] = [];
    const done = client.watch(cmPath, { labelSelector: 'set=watched', resourceVersion: start.resourceVersion }, (e) =>
      events.push(e),
    );
    await client.request({ method: 'POST', path: cmPath, body: configMap('w1', { set: 'watched' }) });
    await client.request({ method: 'DELETE', path: `${cmPath}/w1` });
    for (let i = 0; i < 100 && events.filter((e) => e.type !== 'BOOKMARK').length < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const types = events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`);
    assert.deepEqual(types, ['ADDED w1', 'DELETED w1']);
    sim.faults.endWatches();
    await done;
  });

  test('watch resolves when its signal aborts', async () => {
    const ac = new AbortController();
    const done = client.watch(cmPath, { labelSelector: 'set=none' }, () => {}, ac.signal);
    setTimeout(() => ac.abort(), 100);
    await done;
  });

  test('Kubernetes errors carry status, reason and map per the contract', async () => {
    const missing = await expectKubeError(client.request({ method: 'GET', path: `${cmPath}/nope` }));
    assert.equal(missing.kind, 'status');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.reason, 'NotFound');
    assert.equal(
      toHttpError(missing, { kind: 'ConfigMap', namespace: NS, name: 'nope' }).message,
      `ConfigMap "${NS}/nope" not found`,
    );

    const dup = await expectKubeError(client.request({ method: 'POST', path: cmPath, body: configMap('one') }));
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.reason, 'AlreadyExists');

    sim.faults.failNext(1, { status: 429, path: cmPath, reason: 'TooManyRequests', message: 'slow down' });
    const throttled = await expectKubeError(client.request({ method: 'GET', path: cmPath }));
    assert.equal(throttled.statusCode, 429);
    assert.equal(toHttpError(throttled, { kind: 'ConfigMap' }).status, 503);

    sim.faults.failNext(1, { status: 500, path: cmPath, message: 'etcd exploded' });
    const broken = await expectKubeError(client.request({ method: 'GET', path: cmPath }));
    const mapped = toHttpError(broken, { kind: 'ConfigMap' });
    assert.deepEqual([mapped.status, mapped.message], [502, 'kubernetes API unavailable']);
  });

  test('a slow API server times out as kind "timeout" (504)', async () => {
    sim.faults.setLatency(1000);
    try {
      const began = Date.now();
      const err = await expectKubeError(client.request({ method: 'GET', path: `${cmPath}/one`, timeoutMs: 150 }));
      assert.equal(err.kind, 'timeout');
      assert.ok(Date.now() - began < 900, 'the timeout fired before the answer');
      assert.equal(toHttpError(err, { kind: 'ConfigMap' }).status, 504);
      const watchErr = await expectKubeError(client.watch(cmPath, {}, () => {}, undefined, { timeoutMs: 150 }));
      assert.equal(watchErr.kind, 'timeout');
    } finally {
      sim.faults.setLatency(0);
    }
  });

  test('an unreachable API server is kind "unavailable" (502), and the client recovers', async () => {
    await sim.faults.down();
    try {
      const err = await expectKubeError(client.request({ method: 'GET', path: `${cmPath}/one` }));
      assert.equal(err.kind, 'unavailable');
      assert.equal(toHttpError(err, { kind: 'ConfigMap' }).message, 'kubernetes API unavailable');
    } finally {
      await sim.faults.up({ keepState: true });
    }
    const got = await client.request<ConfigMap>({ method: 'GET', path: `${cmPath}/one` });
    assert.equal(got.metadata.name, 'one');
  });

  test('raw returns the response stream whatever its status', async () => {
    const res = await client.raw({ method: 'GET', path: `${cmPath}/nope` });
    assert.equal(res.statusCode, 404);
    let body = '';
    for await (const chunk of res) body += String(chunk);
    assert.match(body, /NotFound/);
  });
});

describe('KubeClient against an API server that does not stop talking', () => {
  const LIMIT = 4096;
  let server: http.Server;
  let client: KubeClient;
  let pagesServed = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/endless') {
        // At most 64 MiB, stopping as soon as the client goes away.
        let sent = 0;
        const pump = () => {
          while (sent < 1024 && !res.destroyed) {
            sent++;
            if (!res.write(Buffer.alloc(64 * 1024, 'x'))) return void res.once('drain', pump);
          }
          res.end();
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        pump();
      } else if (url.pathname === '/pages') {
        pagesServed++;
        const page = Number(url.searchParams.get('continue') ?? 0);
        const items = [{ metadata: { name: `p${page}` }, pad: 'y'.repeat(900) }];
        res.end(JSON.stringify({ metadata: { resourceVersion: '1', continue: String(page + 1) }, items }));
      } else if (url.pathname === '/watch') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`{"type":"ADDED","object":{"pad":"${'z'.repeat(LIMIT * 2)}`);
      } else {
        res.end(JSON.stringify({ ok: true }));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    client = createKubeClient(kc, { timeoutMs: 5000, name: 'tenant ns/evil', maxResponseBytes: LIMIT });
  });
  after(async () => {
    client?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  test('an endless answer fails at the bound instead of filling the memory', async () => {
    const began = Date.now();
    const err = await expectKubeError(client.request({ method: 'GET', path: '/endless' }));
    assert.equal(err.kind, 'unavailable');
    assert.equal(err.message, `tenant ns/evil: GET /endless answered more than ${LIMIT} bytes`);
    assert.equal(toHttpError(err, { kind: 'Node', api: 'tenant' }).status, 502);
    assert.ok(Date.now() - began < 2000);
  });

  test('a list whose pages never end fails once their sum passes the bound', async () => {
    const err = await expectKubeError(client.list('/pages'));
    assert.match(err.message, /answered more than 4096 bytes/);
    assert.ok(pagesServed <= 5, `pages served: ${pagesServed}`);
  });

  test('a watch event without an end fails at the bound', async () => {
    const err = await expectKubeError(client.watch('/watch', {}, () => {}));
    assert.match(err.message, /answered more than 4096 bytes/);
  });

  test('answers within the bound still work', async () => {
    assert.deepEqual(await client.request({ method: 'GET', path: '/small' }), { ok: true });
  });
});
