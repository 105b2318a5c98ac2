// The proxy over real HTTP against two simulators: authentication, headers, errors, bodies, watches, upgrades.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { login, TEST_ADMIN_PASSWORD, waitFor } from '../helpers/server.js';
import {
  json,
  MGMT_PREFIX,
  namespace,
  open,
  pod,
  request,
  startProxyEnv,
  TENANT_PREFIX,
  type ProxyEnv,
} from './fixture.js';

/** The promise, or a failure after `ms`: a missing end must fail the test, not hang it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const configMap = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

/** The Kubernetes Status object the proxy answers its own errors with. */
const kubeStatus = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

describe('kubernetes API proxy over HTTP', () => {
  let env: ProxyEnv;
  let bearer: Record<string, string>;

  before(async () => {
    env = await startProxyEnv({
      env: { BUTLER_PROXY_MAX_BODY_BYTES: '64KiB', BUTLER_PROXY_MAX_STREAMS_PER_USER: '3' },
      tenantSeed: [namespace('apps'), pod('apps', 'shell')],
    });
    bearer = { authorization: `Bearer ${env.token}` };
  });
  after(async () => {
    await env?.close();
  });

  const auditLines = () =>
    env.server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);

  it('reads the tenant cluster and the management cluster with a Bearer session', async () => {
    const nodes = await request(env.url, `${TENANT_PREFIX}/api/v1/nodes`, { headers: bearer });
    assert.equal(nodes.status, 200, nodes.text);
    assert.deepEqual(
      json(nodes).items.map((n: { metadata: { name: string } }) => n.metadata.name),
      ['w1', 'w2'],
    );
    const nss = await request(env.url, `${MGMT_PREFIX}/api/v1/namespaces`, { headers: bearer });
    assert.equal(nss.status, 200, nss.text);
    const names = json(nss).items.map((n: { metadata: { name: string } }) => n.metadata.name);
    assert.ok(names.includes('butler-system') && names.includes('tn-dev'), names.join());
    assert.ok(!names.includes('apps'), 'the management path reached the tenant cluster');
  });

  it('answers 401 without a session and 403 for a cookie write from a foreign origin', async () => {
    const none = await request(env.url, `${TENANT_PREFIX}/api/v1/nodes`);
    assert.equal(none.status, 401);
    assert.deepEqual(json(none), kubeStatus(401, 'Unauthorized', 'unauthorized'));
    const bad = await request(env.url, `${MGMT_PREFIX}/api/v1/namespaces`, { headers: { authorization: 'Bearer x' } });
    assert.equal(bad.status, 401);

    const cookieRead = await request(env.url, `${TENANT_PREFIX}/api/v1/nodes`, { headers: { cookie: env.cookie } });
    assert.equal(cookieRead.status, 200, cookieRead.text);
    const foreign = await request(env.url, `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps`, {
      method: 'POST',
      headers: { cookie: env.cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify(configMap('csrf')),
    });
    assert.equal(foreign.status, 403);
    assert.deepEqual(json(foreign), kubeStatus(403, 'Forbidden', 'cross-origin request refused'));
    const same = await request(env.url, `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps`, {
      method: 'POST',
      headers: { cookie: env.cookie, origin: env.url, 'content-type': 'application/json' },
      body: JSON.stringify(configMap('same-origin')),
    });
    assert.equal(same.status, 201, same.text);
  });

  it('answers a 404 Status for an unknown tenant cluster and 400 for bad names or dot segments', async () => {
    const unknown = await request(env.url, '/api/proxy/tenant/butler-tenants/nope/api/v1/nodes', { headers: bearer });
    assert.equal(unknown.status, 404);
    assert.deepEqual(json(unknown), kubeStatus(404, 'NotFound', 'TenantCluster "butler-tenants/nope" not found'));
    const badNs = await request(env.url, '/api/proxy/tenant/Bad_NS/dev/api/v1/nodes', { headers: bearer });
    assert.equal(badNs.status, 400);
    assert.equal(json(badNs).kind, 'Status');
    // The server's own API keeps its error shape.
    const api = await request(env.url, '/api/clusters/butler-tenants/nope', { headers: bearer });
    assert.equal(api.status, 404);
    assert.equal(typeof json(api).error, 'string');
    assert.equal(json(api).kind, undefined);
    for (const path of [`${TENANT_PREFIX}/api/v1/../../x`, `${MGMT_PREFIX}/api/%2e%2e/v1`]) {
      const dots = await request(env.url, path, { headers: bearer });
      assert.equal(dots.status, 400, path);
      assert.deepEqual(json(dots), kubeStatus(400, 'BadRequest', 'invalid Kubernetes API path'));
    }
  });

  it('never forwards the caller credentials or identity headers, and passes the query string as given', async () => {
    env.tenant.recordRequests(true);
    try {
      const query = '?labelSelector=app%3Dweb%2Ctier%21%3Ddb&limit=5&fieldSelector=metadata.name%3Dx';
      const res = await request(env.url, `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps${query}`, {
        headers: {
          ...bearer,
          cookie: `${env.cookie}; other=1`,
          'impersonate-user': 'system:admin',
          'impersonate-group': 'system:masters',
          'x-remote-user': 'root',
          'x-remote-group': 'system:masters',
          'proxy-authorization': 'Basic eDp5',
          'x-forwarded-for': '10.0.0.1',
          connection: 'keep-alive, x-secret-hop',
          'x-secret-hop': 'should not pass',
          'x-custom': 'kept',
        },
      });
      assert.equal(res.status, 200, res.text);
      const seen = env.tenant.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/apps/configmaps'));
      assert.equal(seen.length, 1);
      const r = seen[0]!;
      assert.equal(r.path, `/api/v1/namespaces/apps/configmaps${query}`);
      assert.equal(r.headers.authorization, `Bearer ${env.tenant.token}`);
      assert.equal(r.headers.cookie, undefined);
      for (const h of Object.keys(r.headers)) {
        assert.ok(!/^(impersonate-|x-remote-|proxy-|x-forwarded-|x-secret-hop)/.test(h), `forwarded ${h}`);
      }
      assert.equal(r.headers['x-custom'], 'kept');
      assert.ok(!JSON.stringify(r.headers).includes(env.token), 'the session token reached the cluster');
    } finally {
      env.tenant.recordRequests(false);
    }
  });

  it('passes Kubernetes Status errors through as they are', async () => {
    const res = await request(env.url, `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps/missing`, {
      headers: bearer,
    });
    assert.equal(res.status, 404);
    const body = json(res);
    assert.equal(body.kind, 'Status');
    assert.equal(body.reason, 'NotFound');
    const dup = await request(env.url, `${TENANT_PREFIX}/api/v1/namespaces`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify(namespace('apps')),
    });
    assert.equal(dup.status, 409);
    assert.equal(json(dup).reason, 'AlreadyExists');
  });

  it('creates, patches and deletes through the proxy, with an audit line for each write', async () => {
    const base = `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps`;
    const created = await request(env.url, base, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify(configMap('audited', { a: '1' })),
    });
    assert.equal(created.status, 201, created.text);
    const patched = await request(env.url, `${base}/audited`, {
      method: 'PATCH',
      headers: { ...bearer, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ data: { b: '2' } }),
    });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(json(patched).data, { a: '1', b: '2' });
    const deleted = await request(env.url, `${base}/audited`, { method: 'DELETE', headers: bearer });
    assert.equal(deleted.status, 200, deleted.text);
    const direct = await fetch(`${env.tenant.url}/api/v1/namespaces/apps/configmaps/audited`, {
      headers: { authorization: `Bearer ${env.tenant.token}` },
    });
    assert.equal(direct.status, 404);

    await waitFor(
      () => auditLines().filter((l) => l.path === '/api/v1/namespaces/apps/configmaps/audited').length >= 2,
      2000,
      'audit lines',
    );
    const lines = auditLines().filter((l) => String(l.path).startsWith('/api/v1/namespaces/apps/configmaps'));
    const summary = lines.map((l) => `${l.event} ${l.user} ${l.cluster} ${l.method} ${l.path} ${l.status}`);
    assert.ok(
      summary.includes('proxy.request admin butler-tenants/dev POST /api/v1/namespaces/apps/configmaps 201'),
      summary.join('\n'),
    );
    assert.ok(
      summary.includes('proxy.request admin butler-tenants/dev PATCH /api/v1/namespaces/apps/configmaps/audited 200'),
    );
    assert.ok(
      summary.includes('proxy.request admin butler-tenants/dev DELETE /api/v1/namespaces/apps/configmaps/audited 200'),
    );
    assert.ok(!summary.some((s) => s.includes(' GET ')), 'reads are not audited');
  });

  it('limits request bodies while streaming: 413 by Content-Length and for an endless chunked body', async () => {
    const big = JSON.stringify(configMap('big', { x: 'y'.repeat(70 * 1024) }));
    const declared = await request(env.url, `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: big,
    });
    assert.equal(declared.status, 413);
    assert.deepEqual(json(declared), kubeStatus(413, 'RequestEntityTooLarge', 'request body too large (limit 64 KiB)'));

    env.tenant.recordRequests(true);
    try {
      // A chunked body without a length that never ends by itself: the proxy must stop it at the limit.
      let sent = 0;
      const endless = new Readable({
        read() {
          if (sent > 10 * 1024 * 1024) this.push(null);
          else {
            sent += 16 * 1024;
            this.push(Buffer.alloc(16 * 1024, 0x61));
          }
        },
      });
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(`${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps`, env.url);
        void import('node:http').then(({ request: httpRequest }) => {
          const req = httpRequest(url, {
            method: 'POST',
            headers: { ...bearer, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
          });
          req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          endless.pipe(req);
        });
      });
      assert.equal(status, 413);
      assert.ok(sent < 10 * 1024 * 1024, `the whole body was read (${sent} bytes)`);
    } finally {
      env.tenant.recordRequests(false);
    }
    const small = await request(env.url, `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify(configMap('small', { x: 'y'.repeat(32 * 1024) })),
    });
    assert.equal(small.status, 201, small.text);
  });

  it('delivers each watch event within 100 ms of the simulator sending it', async () => {
    const res = await open(env.url, `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps?watch=true&resourceVersion=0`, {
      headers: bearer,
    });
    assert.equal(res.statusCode, 200);
    const arrivals = new Map<string, number>();
    let buffered = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const e = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
        if (e.type === 'ADDED') arrivals.set(e.object.metadata.name, performance.now());
      }
    });
    try {
      for (let i = 0; i < 5; i++) {
        const name = `live-${i}`;
        const res2 = await fetch(`${env.tenant.url}/api/v1/namespaces/apps/configmaps`, {
          method: 'POST',
          headers: { authorization: `Bearer ${env.tenant.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(configMap(name)),
        });
        const answered = performance.now();
        assert.equal(res2.status, 201);
        await waitFor(() => arrivals.has(name), 2000, `event ${name}`);
        const delay = arrivals.get(name)! - answered;
        assert.ok(delay < 100, `event ${name} arrived ${delay.toFixed(1)} ms after the simulator sent it`);
      }
    } finally {
      res.destroy();
    }
  });

  it('caps concurrent streams per user (429) and frees the slot when a stream closes', async () => {
    const path = `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps?watch=1`;
    const streams = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = await open(env.url, path, { headers: bearer });
        assert.equal(s.statusCode, 200);
        streams.push(s);
      }
      const over = await request(env.url, path, { headers: bearer });
      assert.equal(over.status, 429);
      assert.deepEqual(
        json(over),
        kubeStatus(429, 'TooManyRequests', 'too many open proxy streams; close some and try again'),
      );
      const plain = await request(env.url, `${TENANT_PREFIX}/api/v1/nodes`, { headers: bearer });
      assert.equal(plain.status, 200, 'short requests are not capped');
      streams.pop()!.destroy();
      let again = 0;
      for (let i = 0; i < 50 && again !== 200; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const s = await open(env.url, path, { headers: bearer });
        again = s.statusCode ?? 0;
        if (again === 200) streams.push(s);
        else s.resume();
      }
      assert.equal(again, 200);
    } finally {
      for (const s of streams) s.destroy();
    }
  });

  it('passes exec upgrades through: subprotocol negotiated upstream, output relayed, audited', async () => {
    const wsUrl = `${env.url.replace(/^http/, 'ws')}${TENANT_PREFIX}/api/v1/namespaces/apps/pods/shell/exec?command=echo&command=hello-through-proxy&stdout=true`;
    const ws = new WebSocket(wsUrl, ['v5.channel.k8s.io', 'v4.channel.k8s.io'], { headers: bearer });
    let stdout = '';
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) stdout += data.subarray(1).toString();
    });
    const code = await new Promise<number>((resolve, reject) => {
      ws.on('close', (c) => resolve(c));
      ws.on('error', reject);
    });
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    assert.equal(stdout.trim(), 'hello-through-proxy');
    assert.equal(code, 1000);
    await waitFor(() => auditLines().some((l) => l.event === 'proxy.upgrade'), 2000, 'upgrade audit line');
    const line = auditLines().find((l) => l.event === 'proxy.upgrade')!;
    assert.equal(line.status, 101);
    assert.equal(line.cluster, 'butler-tenants/dev');
    assert.equal(line.user, 'admin');
  });

  it('refuses an upgrade from a foreign origin (403) and one without a session (401)', async () => {
    const path = `${TENANT_PREFIX}/api/v1/namespaces/apps/pods/shell/exec?command=true&stdout=true`;
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${env.url.replace(/^http/, 'ws')}${path}`, ['v5.channel.k8s.io'], { headers });
        ws.on('unexpected-response', (_req, res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', reject);
      });
    assert.equal(await status({ cookie: env.cookie, origin: 'https://evil.example' }), 403);
    assert.equal(await status({}), 401);
    assert.equal(await status({ cookie: env.cookie, origin: env.url }), 101);
  });

  it('relays an upstream refusal of an upgrade as its Status', async () => {
    const path = `${TENANT_PREFIX}/api/v1/namespaces/apps/pods/missing/exec?command=true&stdout=true`;
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${env.url.replace(/^http/, 'ws')}${path}`, ['v5.channel.k8s.io'], { headers: bearer });
      ws.on('unexpected-response', (_req, r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      ws.on('error', reject);
    });
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(res.body).reason, 'NotFound');
  });
});

describe('kubernetes API proxy: an unreachable tenant cluster', () => {
  let env: ProxyEnv;
  before(async () => {
    env = await startProxyEnv({ env: { BUTLER_TENANT_TIMEOUT: '1s' } });
  });
  after(async () => {
    await env?.close();
  });

  it('answers 502 when the tenant API is down and 504 when it does not answer in time', async () => {
    const bearer = { authorization: `Bearer ${env.token}` };
    const ok = await request(env.url, `${TENANT_PREFIX}/api/v1/nodes`, { headers: bearer });
    assert.equal(ok.status, 200);
    await env.tenant.faults.down();
    try {
      const started = Date.now();
      const down = await request(env.url, `${TENANT_PREFIX}/api/v1/nodes`, { headers: bearer });
      assert.ok([502, 504].includes(down.status), `${down.status} ${down.text}`);
      assert.equal(json(down).kind, 'Status');
      assert.equal(json(down).code, down.status);
      assert.equal(
        json(down).message,
        down.status === 502 ? 'tenant cluster API unavailable' : 'tenant cluster API timed out',
      );
      assert.ok(Date.now() - started < 3000);
    } finally {
      await env.tenant.faults.up({ keepState: true });
    }
    env.tenant.faults.setLatency(3000);
    try {
      const started = Date.now();
      const slow = await request(env.url, `${TENANT_PREFIX}/api/v1/nodes`, { headers: bearer });
      assert.equal(slow.status, 504, slow.text);
      assert.deepEqual(json(slow), kubeStatus(504, 'Timeout', 'tenant cluster API timed out'));
      assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`);
    } finally {
      env.tenant.faults.setLatency(0);
    }
  });
});

describe('kubernetes API proxy: sessions that end', () => {
  let env: ProxyEnv;
  before(async () => {
    env = await startProxyEnv({ tenantSeed: [namespace('apps'), pod('apps', 'shell')] });
  });
  after(async () => {
    await env?.close();
  });

  it('logout ends the watches and exec connections of that session, not those of others', async () => {
    const victim = await login(env.url, 'admin', TEST_ADMIN_PASSWORD);
    const other = { authorization: `Bearer ${env.token}` };
    const mine = { authorization: `Bearer ${victim.token}` };
    const watchPath = `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps?watch=true`;
    const myWatch = await open(env.url, watchPath, { headers: mine });
    const otherWatch = await open(env.url, watchPath, { headers: other });
    assert.equal(myWatch.statusCode, 200);
    assert.equal(otherWatch.statusCode, 200);
    let otherEnded = false;
    otherWatch.on('close', () => (otherEnded = true));
    otherWatch.resume();
    const myWatchEnded = new Promise<void>((resolve) => {
      myWatch.on('close', () => resolve());
      myWatch.resume();
    });
    const ws = new WebSocket(
      `${env.url.replace(/^http/, 'ws')}${TENANT_PREFIX}/api/v1/namespaces/apps/pods/shell/exec?command=sleep&command=30&stdout=true`,
      ['v5.channel.k8s.io'],
      { headers: mine },
    );
    const wsClosed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    const out = await request(env.url, '/api/auth/logout', {
      method: 'POST',
      headers: { ...mine, 'content-type': 'application/json' },
    });
    assert.equal(out.status, 200, out.text);
    await within(Promise.all([myWatchEnded, wsClosed]), 3000, 'the end of the watch and the exec connection');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(otherEnded, false, "another session's watch ended too");
    otherWatch.destroy();
  });
});

describe('kubernetes API proxy: shutdown', () => {
  let env: ProxyEnv | undefined;
  before(async () => {
    env = await startProxyEnv({ tenantSeed: [namespace('apps'), pod('apps', 'shell')] });
  });
  after(async () => {
    await env?.close();
  });

  it('ends open watches and upgraded connections so the server closes promptly', async () => {
    const e = env!;
    const bearer = { authorization: `Bearer ${e.token}` };
    const watch = await open(e.url, `${TENANT_PREFIX}/api/v1/namespaces/apps/configmaps?watch=true`, {
      headers: bearer,
    });
    assert.equal(watch.statusCode, 200);
    const watchEnded = new Promise<void>((resolve) => {
      watch.on('close', () => resolve());
      watch.resume();
    });
    const ws = new WebSocket(
      `${e.url.replace(/^http/, 'ws')}${TENANT_PREFIX}/api/v1/namespaces/apps/pods/shell/exec?command=sleep&command=30&stdout=true`,
      ['v5.channel.k8s.io'],
      { headers: bearer },
    );
    const wsClosed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    const started = Date.now();
    await e.server.close();
    await within(Promise.all([watchEnded, wsClosed]), 5000, 'the end of the watch and the exec connection');
    assert.ok(Date.now() - started < 5000, `closing took ${Date.now() - started} ms`);
    await e.mgmt.stop();
    await e.tenant.stop();
    env = undefined;
  });
});
