// The platform pages against the simulator with the Butler CRDs: GET/PUT /api/admin/config (ButlerConfig "butler"),
// /api/admin/networks and /api/admin/ipallocations, and the "not configured" answers of systems the server does not
// run; 400/403/404/409 included.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { platformSeed } from '../../demo/platform-seed.js';
import type { Identity } from '../../src/auth/session.js';
import { toPlatformConfig } from '../../src/api/platform-config.js';
import { baseSeed, startApiEnv, type ApiEnv } from './fixture.js';

const butlerConfig = {
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'ButlerConfig',
  metadata: { name: 'butler' },
  spec: {
    defaultNamespace: 'butler-tenants',
    multiTenancy: { mode: 'Optional' },
    defaultProviderConfigRef: { name: 'harv' },
    defaultAddonVersions: { cilium: '1.16.4' },
    defaultTeamLimits: { maxClusters: 5, maxTotalMemory: '64Gi' },
  },
  status: { teamCount: 2, clusterCount: 3, tcpProxyRequired: false },
};

const user = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'User',
  metadata: { name },
  spec: { authType: 'internal', ...spec },
});

let env: ApiEnv;
let viewerToken: string;

async function as(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${env.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

before(async () => {
  env = await startApiEnv({
    seed: [
      ...baseSeed(),
      butlerConfig,
      ...platformSeed(),
      user('viewer', { email: 'viewer@example.com', platformRole: 'viewer' }),
    ],
  });
  const viewer: Identity = {
    subject: 'internal:viewer',
    username: 'viewer',
    email: 'viewer@example.com',
    name: 'Viewer',
    provider: 'internal',
    groups: [],
  };
  viewerToken = (await env.server.app.butlerAuth.tokens.issue(viewer)).token;
});
after(async () => env?.close());

describe('the platform configuration view', () => {
  it('shows stored quantities in the API types and drops fields the API does not have', () => {
    const view = toPlatformConfig({
      metadata: { name: 'butler', resourceVersion: '7' },
      spec: {
        defaultTeamLimits: { maxClusters: '5', maxTotalCPU: 64, maxTotalMemory: '64Gi', futureLimit: 1 },
        defaultControlPlaneResources: { apiServer: { requests: { cpu: 1, memory: '1Gi' } } },
        audit: { enabled: true, bufferSize: 100 },
        controlPlaneExposure: { mode: 'Ingress', hostname: 'x'.repeat(300) },
      },
    });
    assert.deepEqual(view.defaultTeamLimits, { maxClusters: 5, maxTotalCPU: '64', maxTotalMemory: '64Gi' });
    assert.deepEqual(view.defaultControlPlaneResources, { apiServer: { requests: { cpu: '1', memory: '1Gi' } } });
    assert.deepEqual(view.audit, { enabled: true, bufferSize: 100 });
    assert.equal(view.controlPlaneExposure, undefined, 'a section the API cannot carry is left out, not sent broken');
    assert.deepEqual(JSON.parse(JSON.stringify(view.status)), {
      teamCount: 0,
      clusterCount: 0,
      tcpProxyRequired: false,
    });
  });
});

describe('GET/PUT /api/admin/config', () => {
  it('shows the ButlerConfig as the console reads it, with its resourceVersion and status', async () => {
    const res = await env.api('GET', '/api/admin/config');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.name, 'butler');
    assert.match(res.body.resourceVersion, /^\d+$/);
    assert.deepEqual(res.body.multiTenancy, { mode: 'Optional' });
    assert.equal(res.body.defaultNamespace, 'butler-tenants');
    assert.deepEqual(res.body.defaultProviderRef, { name: 'harv' });
    assert.deepEqual(res.body.defaultAddonVersions, { cilium: '1.16.4' });
    assert.deepEqual(res.body.defaultTeamLimits, { maxClusters: 5, maxTotalMemory: '64Gi' });
    assert.deepEqual(res.body.status, { teamCount: 2, clusterCount: 3, tcpProxyRequired: false });
  });

  it('replaces the sections it names, keeps the others, and a stale resourceVersion is 409', async () => {
    const before = (await env.api('GET', '/api/admin/config')).body;
    const res = await env.api('PUT', '/api/admin/config', {
      resourceVersion: before.resourceVersion,
      multiTenancy: { mode: 'Enforced' },
      controlPlaneExposure: { mode: 'Ingress', hostname: 'k8s.example.com', ingressClassName: '' },
      defaultProviderRef: { name: '' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.multiTenancy, { mode: 'Enforced' });
    assert.deepEqual(res.body.controlPlaneExposure, { mode: 'Ingress', hostname: 'k8s.example.com' });
    assert.equal(res.body.defaultProviderRef, undefined, 'an empty name clears the reference');
    assert.deepEqual(res.body.defaultAddonVersions, { cilium: '1.16.4' }, 'sections not named are kept');
    assert.notEqual(res.body.resourceVersion, before.resourceVersion);
    const stored = (await env.api('GET', '/api/admin/config')).body;
    assert.deepEqual(stored.controlPlaneExposure, { mode: 'Ingress', hostname: 'k8s.example.com' });

    const stale = await env.api('PUT', '/api/admin/config', {
      resourceVersion: before.resourceVersion,
      multiTenancy: { mode: 'Disabled' },
    });
    assert.equal(stale.status, 409, JSON.stringify(stale.body));
    assert.match(stale.body.error, /changed concurrently/);
    assert.deepEqual((await env.api('GET', '/api/admin/config')).body.multiTenancy, { mode: 'Enforced' });
  });

  it('answers 400 with the CRD schema causes, and 400 for unknown fields, changing nothing', async () => {
    const bad = await env.api('PUT', '/api/admin/config', {
      multiTenancy: { mode: 'Sometimes' },
      imageFactory: { url: 'ftp://factory.example' },
    });
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.match(bad.body.error, /ButlerConfig "butler" was rejected/);
    const fields = (bad.body.details?.causes ?? []).map((c: { field: string }) => c.field).join(' ');
    assert.match(fields, /spec\.multiTenancy\.mode/);
    assert.match(fields, /spec\.imageFactory\.url/);
    assert.deepEqual((await env.api('GET', '/api/admin/config')).body.multiTenancy, { mode: 'Enforced' });

    const unknown = await env.api('PUT', '/api/admin/config', { gitProvider: { type: 'github' } });
    assert.equal(unknown.status, 400, JSON.stringify(unknown.body));
  });

  it('is for platform admins only: a platform viewer gets 403 for reading and writing', async () => {
    assert.equal((await as(viewerToken, 'GET', '/api/admin/config')).status, 403);
    const put = await as(viewerToken, 'PUT', '/api/admin/config', { multiTenancy: { mode: 'Disabled' } });
    assert.equal(put.status, 403);
    assert.equal(put.body.error, 'forbidden: platform admin required');
  });
});

describe('GET /api/admin/networks and /api/admin/ipallocations', () => {
  it('lists the NetworkPools and IPAllocations with their status, sorted, for platform viewers too', async () => {
    const pools = await as(viewerToken, 'GET', '/api/admin/networks');
    assert.equal(pools.status, 200, JSON.stringify(pools.body));
    assert.deepEqual(
      pools.body.pools.map((p: any) => p.metadata.name),
      ['edge-vlan60', 'lab-vlan40'],
    );
    const lab = pools.body.pools.find((p: any) => p.metadata.name === 'lab-vlan40');
    assert.equal(lab.spec.cidr, '10.40.0.0/24');
    assert.equal(lab.status.availableIPs, 198);
    assert.equal(lab.metadata.managedFields, undefined);

    const all = await env.api('GET', '/api/admin/ipallocations');
    assert.equal(all.status, 200);
    assert.equal(all.body.allocations.length, 4);
    const prod = all.body.allocations.find((a: any) => a.metadata.name === 'production-nodes');
    assert.equal(prod.status.phase, 'Allocated');
    assert.equal(prod.status.startAddress, '10.40.0.32');
  });

  it('shows one pool and its allocations; 404 for a pool that does not exist; namespace filter', async () => {
    const one = await env.api('GET', '/api/admin/networks/butler-system/lab-vlan40');
    assert.equal(one.status, 200);
    assert.equal(one.body.metadata.name, 'lab-vlan40');
    const allocations = await env.api('GET', '/api/admin/networks/butler-system/lab-vlan40/allocations');
    assert.equal(allocations.status, 200);
    assert.equal(allocations.body.allocations.length, 4);
    const none = await env.api('GET', '/api/admin/networks/butler-system/edge-vlan60/allocations');
    assert.deepEqual(none.body.allocations, []);
    const missing = await env.api('GET', '/api/admin/networks/butler-system/nope/allocations');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'NetworkPool "butler-system/nope" not found');
    const elsewhere = await env.api('GET', '/api/admin/networks?namespace=butler-tenants');
    assert.deepEqual(elsewhere.body.pools, []);
    assert.equal((await env.api('GET', '/api/admin/networks?namespace=Not_A_Label')).status, 400);
  });
});

describe('pages of systems the server does not run', () => {
  it('answer 200 {configured: false, message} instead of 404', async () => {
    for (const path of [
      '/api/gitops/config',
      '/api/management/gitops/status',
      '/api/observability/config',
      '/api/admin/observability/status',
      '/api/image-factory/catalog',
      '/api/image-syncs',
    ]) {
      const res = await env.api('GET', path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.configured, false, path);
      assert.match(res.body.message, /not configured/, path);
    }
    const status = (await env.api('GET', '/api/admin/observability/status')).body;
    assert.deepEqual(status.clusters, []);
    assert.equal(status.summary.enrolledClusters, 0);
    assert.deepEqual((await env.api('GET', '/api/image-syncs')).body.imageSyncs, []);
    assert.equal((await env.api('GET', '/api/management/gitops/status')).body.enabled, false);
  });

  it('a tenant cluster GitOps status needs the cluster (404) and its rule (403 for the observability admin page)', async () => {
    const missing = await env.api('GET', '/api/clusters/butler-tenants/nope/gitops/status');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'TenantCluster "butler-tenants/nope" not found');
    assert.equal((await as(viewerToken, 'GET', '/api/admin/observability/status')).status, 403);
  });
});
