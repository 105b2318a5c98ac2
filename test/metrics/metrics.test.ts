// /metrics: valid Prometheus text with the docs/api.md §8 series after a short scripted session; 401 without an admin
// session or the metrics token; the BUTLER_METRICS_ADDR listener serves without authentication.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startButlerSimulator, simRequest } from '../helpers/sim.js';
import { startTestServer, waitFor, type TestServer } from '../helpers/server.js';
import type { Simulator } from '../../sim/index.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123';
let sim: Simulator;
let server: TestServer;

before(async () => {
  sim = await startButlerSimulator({
    seed: [
      {
        apiVersion: 'butler.butlerlabs.dev/v1alpha1',
        kind: 'ProviderConfig',
        metadata: { name: 'harv', namespace: 'butler-system' },
        spec: {
          provider: 'harvester',
          credentialsRef: { name: 'harv-credentials' },
          harvester: { networkName: 'default/vlan40' },
        },
      },
    ],
  });
  server = await startTestServer({
    sim,
    env: {
      BUTLER_METRICS_TOKEN: METRICS_TOKEN,
      BUTLER_METRICS_ADDR: '127.0.0.1:0',
      // lets the provider check reach (and fail on) a closed local port instead of being refused up front
      BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8',
    },
  });
});
after(async () => {
  await server?.close();
  await sim?.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function scrape(headers: Record<string, string>) {
  const res = await fetch(`${server.url}/metrics`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('/metrics on the main listener', () => {
  test('401 JSON without an admin session or the metrics token', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${METRICS_TOKEN}x` },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      assert.equal(res.status, 401);
      assert.equal(typeof ((await res.json()) as { error?: unknown }).error, 'string');
    }
  });

  test('a scripted session shows up in valid Prometheus text', async () => {
    const { cookie, token } = await server.login();
    const bad = await post('/api/auth/login', { username: 'admin', password: 'wrong-password' });
    assert.equal(bad.status, 401);
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await fetch(`${server.url}/api/clusters`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${server.url}/api/clusters/butler-tenants/nope`, { headers: auth })).status, 404);
    const check = await post(
      '/api/providers/test',
      { provider: 'proxmox', proxmoxEndpoint: 'https://127.0.0.1:1', proxmoxUsername: 'u', proxmoxPassword: 'p' },
      auth,
    );
    assert.equal(check.status, 200, await check.clone().text());
    // ::1 is in the default blocked ranges and not in the allowed 127.0.0.0/8: the guard refuses before any connection
    const blocked = await post(
      '/api/providers/test',
      { provider: 'proxmox', proxmoxEndpoint: 'https://[::1]:1', proxmoxUsername: 'u', proxmoxPassword: 'p' },
      auth,
    );
    const blockedText = await blocked.text();
    assert.equal(blocked.status, 200, blockedText);
    assert.match((JSON.parse(blockedText) as { message: string }).message, /is not allowed \(blocked range/);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws/clusters`, {
      headers: { cookie, origin: server.url },
    });
    after(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
    });
    // a second session's logout is counted as a revoked token
    const other = await server.login();
    assert.equal((await post('/api/auth/logout', {}, { authorization: `Bearer ${other.token}` })).status, 200);

    assert.ok(await server.services.providerCache.waitForSync(5000), 'providerconfigs cache synced');
    const m = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(m, name, labels);
    assert.ok(v('butler_http_requests_total', { method: 'GET', route: '/api/clusters', status: '200' })! >= 1);
    assert.ok(
      v('butler_http_requests_total', { method: 'GET', route: '/api/clusters/:ns/:name', status: '404' })! >= 1,
      'route label is the template',
    );
    for (const f of m.values()) {
      for (const s of f.samples) assert.doesNotMatch(s.labels.route ?? '', /nope/, 'raw paths never become labels');
    }
    assert.ok(v('butler_http_request_duration_seconds_count', { route: '/api/clusters' })! >= 1);
    assert.equal(m.get('butler_http_request_duration_seconds')?.type, 'histogram');
    assert.ok(v('butler_login_attempts_total', { result: 'success' })! >= 2);
    assert.ok(v('butler_login_attempts_total', { result: 'invalid_credentials' })! >= 1);
    assert.equal(v('butler_ws_connections', { kind: 'clusters', authenticated: 'true' }), 1);
    assert.ok(v('butler_kube_requests_total', { verb: 'list', resource: 'tenantclusters', code: '200' })! >= 1);
    assert.ok(v('butler_kube_requests_total', { verb: 'create', resource: 'configmaps', code: '201' })! >= 1);
    assert.ok(v('butler_kube_request_duration_seconds_count', { verb: 'list', resource: 'configmaps' })! >= 1);
    assert.ok(v('butler_kube_watch_starts_total', { resource: 'configmaps' })! >= 1);
    assert.equal(v('butler_provider_checks_total', { provider: 'proxmox', result: 'ConnectionFailed' }), 1);
    assert.equal(v('butler_provider_checks_total', { provider: 'proxmox', result: 'Blocked' }), 1);
    assert.ok(v('butler_revoked_tokens')! >= 1);
    assert.equal(v('butler_cache_objects', { cache: 'tenantclusters' }), 0);
    assert.equal(v('butler_cache_objects', { cache: 'providerconfigs' }), 1);
    assert.equal(m.get('butler_terminal_sessions')?.type, 'gauge');
    assert.ok(v('process_cpu_user_seconds_total')! > 0);
    assert.ok(v('nodejs_heap_size_used_bytes')! > 0);

    // an admin session works as well as the token
    const bySession = await scrape({ cookie });
    assert.ok(bySession.has('butler_http_requests_total'));
    const afterScrape = await scrape({ authorization: `Bearer ${METRICS_TOKEN}` });
    assert.ok(
      sampleValue(afterScrape, 'butler_http_requests_total', { route: '/metrics', status: '200' })! >= 2,
      'scrapes are counted',
    );
  });
});

describe('butler_revoked_tokens', () => {
  test('is the number of revoked tokens known now, and goes down when expired markers are cleaned up', async () => {
    const revoked = async () =>
      sampleValue(await scrape({ authorization: `Bearer ${METRICS_TOKEN}` }), 'butler_revoked_tokens', {})!;
    const live = server.services.revocations.size;
    assert.equal(await revoked(), live);
    // markers whose expiry is long past, as other replicas or earlier runs leave them behind
    for (let i = 0; i < 2; i++) {
      await server.services.revocations.revoke(randomBytes(16).toString('hex'), new Date(Date.now() - 10 * 60_000));
    }
    assert.equal(await revoked(), live + 2);
    assert.equal(await server.services.revocations.cleanup(), 2);
    // a watch ADDED event may still re-add a marker until its DELETED event arrives: wait a bounded time
    const deadline = Date.now() + 3000;
    let now = await revoked();
    while (now !== live && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      now = await revoked();
    }
    assert.equal(now, live, 'expired markers no longer counted');
    const list = (await simRequest(
      sim,
      'GET',
      '/api/v1/namespaces/butler-system/configmaps?labelSelector=butler.butlerlabs.dev%2Frevoked-token%3Dtrue',
      undefined,
    )) as { items: unknown[] };
    assert.equal(list.items.length, live, 'the gauge matches the stored markers');
  });
});

describe('the separate metrics listener', () => {
  test('serves /metrics without authentication, and nothing else', async () => {
    const addr = server.app.metrics.listenerAddress();
    assert.ok(addr, 'listener started with the app');
    const base = `http://127.0.0.1:${addr.port}`;
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    const m = parsePrometheusText(await res.text());
    assert.ok(m.has('butler_http_requests_total'));
    assert.equal((await fetch(`${base}/api/clusters`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 404);
  });

  test('closes with the app', async () => {
    const s2 = await startTestServer({ sim, env: { BUTLER_METRICS_ADDR: '127.0.0.1:0' } });
    const addr = s2.app.metrics.listenerAddress()!;
    assert.equal((await fetch(`http://127.0.0.1:${addr.port}/metrics`)).status, 200);
    await s2.close();
    await waitFor(() => true, 10, 'nothing');
    await assert.rejects(fetch(`http://127.0.0.1:${addr.port}/metrics`));
  });
});

describe('the parser is strict', () => {
  test('it refuses invalid expositions', () => {
    for (const bad of [
      'x 1\n',
      '# TYPE x counter\nx{a="b} 1\n',
      '# TYPE x counter\nx{a="\\q"} 1\n',
      '# TYPE x counter\nx one\n',
      '# TYPE x counter\nx 1\nx 2\n',
      '# TYPE 1x counter\n',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0\n',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n',
      '# TYPE x gauge\nx 1',
    ]) {
      assert.throws(() => parsePrometheusText(bad), Error, JSON.stringify(bad));
    }
    assert.equal(parsePrometheusText('# HELP x a\n# TYPE x gauge\nx{a="q\\"\\n"} -Inf\n').get('x')!.samples.length, 1);
  });
});
