// The demo environment in-process with fast controller timing, driven through the real HTTP API: the seed, the
// cluster lifecycle (create → Ready with Events, scale, delete), addons, provider checks, the console page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { startDemo, type Demo } from './main.js';

const TIMING = { clusterStepMs: 150, scaleMs: 100, deleteMs: 100, addonStepMs: 100 };
const WAIT_MS = 10_000;

describe('demo environment (fast controller)', () => {
  let demo: Demo;
  let token: string;
  const logs: string[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${demo.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    // Answers are arbitrary JSON; the assertions narrow them.
    return { status: res.status, body: (await res.json()) as any };
  };

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + WAIT_MS;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
  }

  const phaseOf = async (name: string) => (await api('GET', `/api/clusters/butler-tenants/${name}`)).body.status?.phase;

  before(async () => {
    const logStream = new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    });
    demo = await startDemo({ addr: '127.0.0.1:0', timing: TIMING, logStream });
    const res = await fetch(`${demo.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: demo.username, password: demo.password }),
    });
    assert.equal(res.status, 200);
    token = ((await res.json()) as { token: string }).token;
  });

  after(async () => {
    await demo?.stop();
  });

  it('seeds three clusters, ten addon definitions, two management addons and three providers', async () => {
    const clusters = await api('GET', '/api/clusters');
    const phases = Object.fromEntries(clusters.body.clusters.map((c: any) => [c.metadata.name, c.status.phase]));
    assert.deepEqual(Object.keys(phases).sort(), ['legacy', 'production', 'staging']);
    assert.equal(phases.production, 'Ready');
    assert.equal(phases.legacy, 'Failed', 'a Failed cluster waits for a person');
    // Seeded as Provisioning; with the fast timing the controller may already have moved it on.
    assert.ok(['Provisioning', 'Installing', 'Ready'].includes(phases.staging), phases.staging);
    const catalog = await api('GET', '/api/addons/catalog');
    assert.equal(catalog.body.addons.length, 10);
    assert.ok(catalog.body.addons.filter((a: any) => a.platform).length >= 2);
    const mgmt = await api('GET', '/api/management/addons');
    assert.deepEqual(
      mgmt.body.addons.map((a: any) => a.name),
      ['kube-prometheus-stack', 'velero'],
    );
    const providers = await api('GET', '/api/providers');
    assert.deepEqual(providers.body.providers.map((p: any) => p.spec.provider).sort(), [
      'harvester',
      'nutanix',
      'proxmox',
    ]);
    const summary = await api('GET', '/api/management');
    assert.equal(summary.status, 200);
    assert.deepEqual(summary.body.nodes, { total: 3, ready: 3 });
  });

  it('the Ready seeded cluster has nodes through its admin kubeconfig', async () => {
    const nodes = await api('GET', '/api/clusters/butler-tenants/production/nodes');
    assert.equal(nodes.status, 200);
    assert.equal(nodes.body.nodes.length, 4);
    assert.ok(nodes.body.nodes.every((n: any) => n.status === 'Ready'));
  });

  it('every provider validates against its stand-in', async () => {
    for (const name of ['harvester', 'nutanix', 'proxmox']) {
      const res = await api('POST', `/api/providers/butler-system/${name}/validate`, {});
      assert.equal(res.status, 200, name);
      assert.equal(res.body.valid, true, `${name}: ${res.body.message}`);
    }
  });

  it('a new cluster goes Pending → Provisioning → Installing → Ready with Events, then scales and is deleted', async () => {
    const created = await api('POST', '/api/clusters', {
      name: 'dev',
      providerConfigRef: 'proxmox',
      kubernetesVersion: 'v1.31.3',
      workerReplicas: 2,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const seen = new Set<string>();
    await until('dev Ready', async () => {
      const phase = await phaseOf('dev');
      if (phase) seen.add(phase);
      return phase === 'Ready' ? true : undefined;
    });
    assert.ok(seen.size >= 2, `phases seen: ${[...seen].join(', ')}`);
    const events = await api('GET', '/api/clusters/butler-tenants/dev/events');
    const reasons = events.body.events.map((e: any) => e.reason);
    for (const r of ['Accepted', 'Provisioning', 'ControlPlaneReady', 'Ready']) assert.ok(reasons.includes(r), r);
    const nodes = await api('GET', '/api/clusters/butler-tenants/dev/nodes');
    assert.equal(nodes.body.nodes.length, 3);
    const addons = await api('GET', '/api/clusters/butler-tenants/dev/addons');
    assert.deepEqual(
      addons.body.addons.filter((a: any) => a.managedBy === 'platform').map((a: any) => [a.name, a.status]),
      [
        ['cilium', 'Installed'],
        ['metallb', 'Installed'],
        ['cert-manager', 'Installed'],
      ],
    );

    assert.equal((await api('PATCH', '/api/clusters/butler-tenants/dev/scale', { replicas: 4 })).status, 200);
    await until('5 nodes', async () => {
      const n = await api('GET', '/api/clusters/butler-tenants/dev/nodes');
      return n.body.nodes?.length === 5 && (await phaseOf('dev')) === 'Ready' ? true : undefined;
    });

    const tenant = demo.controller.tenant('butler-tenants', 'dev');
    assert.ok(tenant);
    assert.equal((await api('DELETE', '/api/clusters/butler-tenants/dev')).status, 200);
    await until('dev gone', async () =>
      (await api('GET', '/api/clusters/butler-tenants/dev')).status === 404 ? true : undefined,
    );
    assert.equal(demo.controller.tenant('butler-tenants', 'dev'), undefined);
    await assert.rejects(fetch(`${tenant.sim.url}/version`, { signal: AbortSignal.timeout(2000) }));
  });

  it('tenant and management addons install', async () => {
    const installed = await api('POST', '/api/clusters/butler-tenants/production/addons', { addon: 'traefik' });
    assert.equal(installed.status, 201, JSON.stringify(installed.body));
    await until('traefik Installed', async () => {
      const a = await api('GET', '/api/clusters/butler-tenants/production/addons/traefik');
      return a.body.status === 'Installed' ? true : undefined;
    });
    await until('velero Installed', async () => {
      const a = await api('GET', '/api/management/addons/velero');
      return a.body.status?.phase === 'Installed' ? true : undefined;
    });
    assert.equal((await api('DELETE', '/api/clusters/butler-tenants/production/addons/traefik')).status, 200);
    await until('traefik gone', async () => {
      const a = await api('GET', '/api/clusters/butler-tenants/production/addons/traefik');
      return a.status === 404 ? true : undefined;
    });
  });

  it('serves the console page and xterm.js from the project dependency', async () => {
    const page = await fetch(`${demo.url}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<script type="module" src="\/js\/app.js">/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    for (const path of ['/js/app.js', '/vendor/xterm.js', '/vendor/addon-fit.js', '/vendor/xterm.css']) {
      const res = await fetch(`${demo.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.ok((await res.text()).length > 100, path);
    }
  });

  it('logged no controller failures', () => {
    assert.deepEqual(
      logs.filter((l) => l.includes('reconcile failed')),
      [],
    );
  });
});
