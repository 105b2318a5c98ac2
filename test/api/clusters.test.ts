import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simGet, startApiEnv, type ApiEnv } from './fixture.js';

const TC = '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters';

describe('clusters API', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv();
  });
  after(async () => {
    await env?.close();
  });

  it('creates a harvester cluster with exactly the contract spec, and the CRD accepts it', async () => {
    const res = await env.api('POST', '/api/clusters', {
      name: 'h1',
      kubernetesVersion: 'v1.30.2',
      providerConfigRef: 'harv',
      workerReplicas: 3,
      workerCPU: 8,
      workerMemory: '16Gi',
      workerDiskSize: '100Gi',
      loadBalancerStart: '10.0.0.10',
      loadBalancerEnd: '10.0.0.20',
      harvesterNamespace: 'vms',
      harvesterNetworkName: 'default/vlan41',
      harvesterImageName: 'default/ubuntu',
      nutanixClusterUUID: '00000000-0000-0000-0000-000000000001',
      proxmoxNode: 'pve1',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.metadata.annotations['butler.butlerlabs.dev/created-by'], 'admin');
    assert.equal(res.body.metadata.managedFields, undefined);
    const stored = await simGet(env.sim, `${TC}/h1`);
    assert.equal(stored.status, 200);
    assert.deepEqual(stored.body.spec.providerConfigRef, { name: 'harv', namespace: 'butler-system' });
    assert.deepEqual(stored.body.spec.infrastructureOverride, {
      harvester: { networkName: 'default/vlan41', imageName: 'default/ubuntu', namespace: 'vms' },
    });
    assert.deepEqual(stored.body.spec.networking.loadBalancerPool, { start: '10.0.0.10', end: '10.0.0.20' });
    assert.equal(stored.body.spec.workers.replicas, 3);
    assert.deepEqual(
      {
        cpu: stored.body.spec.workers.machineTemplate.cpu,
        memory: stored.body.spec.workers.machineTemplate.memory,
        diskSize: stored.body.spec.workers.machineTemplate.diskSize,
      },
      { cpu: 8, memory: '16Gi', diskSize: '100Gi' },
    );
  });

  it('builds only the selected provider block: nutanix and proxmox; no block and no networking when not given', async () => {
    const n = await env.api('POST', '/api/clusters', {
      name: 'n1',
      providerConfigRef: 'ntnx',
      nutanixClusterUUID: 'AAAAAAAA-0000-0000-0000-000000000001',
      nutanixSubnetUUID: '00000000-0000-0000-0000-000000000002',
      harvesterNetworkName: 'default/x',
      proxmoxNode: 'pve1',
    });
    assert.equal(n.status, 201, JSON.stringify(n.body));
    assert.deepEqual(n.body.spec.infrastructureOverride, {
      nutanix: {
        clusterUUID: 'AAAAAAAA-0000-0000-0000-000000000001',
        subnetUUID: '00000000-0000-0000-0000-000000000002',
      },
    });
    const p = await env.api('POST', '/api/clusters', {
      name: 'p1',
      providerConfigRef: 'pmx',
      proxmoxNode: 'pve2',
      proxmoxStorage: 'local-lvm',
      proxmoxTemplateID: 9000,
      nutanixClusterUUID: '00000000-0000-0000-0000-000000000001',
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.deepEqual(p.body.spec.infrastructureOverride, {
      proxmox: { node: 'pve2', storage: 'local-lvm', templateID: 9000 },
    });
    const plain = await env.api('POST', '/api/clusters', {
      name: 'p2',
      providerConfigRef: 'pmx',
      loadBalancerStart: '',
    });
    assert.equal(plain.status, 201, JSON.stringify(plain.body));
    const stored = await simGet(env.sim, `${TC}/p2`);
    assert.equal(stored.body.spec.infrastructureOverride, undefined);
    assert.equal(stored.body.spec.networking?.loadBalancerPool, undefined);
    assert.equal(stored.body.spec.kubernetesVersion, 'v1.30.2');
    assert.equal(stored.body.spec.workers.replicas, 1);
    assert.equal(stored.body.spec.workers.machineTemplate.cpu, 4);
    assert.equal(stored.body.spec.workers.machineTemplate.memory, '8Gi');
    assert.equal(stored.body.spec.workers.machineTemplate.diskSize, '50Gi');
  });

  it('400 naming the field for bad input', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kubernetesVersion: '1.30' }, 'kubernetesVersion: must look like v1.30.2'],
      [{ workerReplicas: 0 }, 'workerReplicas: must be an integer between 1 and 100'],
      [{ workerReplicas: 101 }, 'workerReplicas: must be an integer between 1 and 100'],
      [{ workerReplicas: 1.5 }, 'workerReplicas: must be an integer between 1 and 100'],
      [{ workerCPU: 257 }, 'workerCPU: must be an integer between 1 and 256'],
      [{ workerMemory: '8GB' }, 'workerMemory: must be a quantity such as 8Gi'],
      [{ workerDiskSize: '0Gi' }, 'workerDiskSize: must be a quantity such as 8Gi'],
      [
        { loadBalancerStart: '10.0.0.20', loadBalancerEnd: '10.0.0.10' },
        'loadBalancerEnd: must not be lower than loadBalancerStart',
      ],
      [
        { loadBalancerStart: '10.0.0.20', loadBalancerEnd: 'fd00::1' },
        'loadBalancerEnd: loadBalancerStart and loadBalancerEnd must both be IPv4 or both IPv6',
      ],
      [
        { loadBalancerStart: '10.0.0.0/24', loadBalancerEnd: '10.0.0.9' },
        'loadBalancerStart: must be an IPv4 or IPv6 address',
      ],
      [{ loadBalancerStart: '10.0.0.1' }, 'loadBalancerEnd: is required when loadBalancerStart is given'],
      [
        { name: 'Bad_Name' },
        "name: must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)",
      ],
      [
        { namespace: 'NS' },
        "namespace: must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)",
      ],
      [{ nutanixSubnetUUID: 'nope' }, 'nutanixSubnetUUID: must be a UUID'],
      [{ proxmoxTemplateID: 99 }, 'proxmoxTemplateID: must be an integer between 100 and 999999999'],
      [{ providerConfigRef: undefined }, 'providerConfigRef: is required'],
      [
        { providerConfigRef: 'missing' },
        'providerConfigRef: no ProviderConfig "missing" in namespace "butler-tenants" or "butler-system"',
      ],
    ];
    for (const [patch, message] of cases) {
      const res = await env.api('POST', '/api/clusters', { name: 'bad', providerConfigRef: 'pmx', ...patch });
      assert.equal(res.status, 400, `${JSON.stringify(patch)} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, message);
      assert.equal(res.body.details.field, message.split(':')[0]);
    }
    const noNet = await env.api('POST', '/api/clusters', { name: 'bad', providerConfigRef: 'harv-nonet' });
    assert.equal(noNet.status, 400);
    assert.equal(
      noNet.body.error,
      'harvesterNetworkName is required: ProviderConfig "harv-nonet" has no default network',
    );
    assert.equal((await simGet(env.sim, `${TC}/bad`)).status, 404);
  });

  it('409 for an existing name, 404 for a missing namespace', async () => {
    const res = await env.api('POST', '/api/clusters', { name: 'h1', providerConfigRef: 'harv' });
    assert.equal(res.status, 409);
    assert.equal(res.body.error, 'TenantCluster "butler-tenants/h1" already exists');
    const nsMissing = await env.api('POST', '/api/clusters', {
      name: 'x',
      namespace: 'nowhere',
      providerConfigRef: 'pmx',
    });
    assert.equal(nsMissing.status, 404, JSON.stringify(nsMissing.body));
    assert.equal(nsMissing.body.error, 'namespace "nowhere" not found');
  });

  it('maps Kubernetes refusals: Invalid → 400 with the cause, Forbidden → 403, throttling → 503', async () => {
    env.sim.faults.failNext(1, {
      status: 422,
      reason: 'Invalid',
      path: /tenantclusters/,
      message: 'spec.workers: Required value',
    });
    const invalid = await env.api('POST', '/api/clusters', { name: 'inv', providerConfigRef: 'pmx' });
    assert.equal(invalid.status, 400, JSON.stringify(invalid.body));
    assert.match(invalid.body.error, /^TenantCluster "butler-tenants\/inv" was rejected: /);
    env.sim.faults.failNext(1, { status: 403, reason: 'Forbidden', path: /tenantclusters/ });
    const forbidden = await env.api('POST', '/api/clusters', { name: 'inv', providerConfigRef: 'pmx' });
    assert.equal(forbidden.status, 403);
    // The create is sent as the user (impersonated): the refusal names them.
    assert.equal(
      forbidden.body.error,
      'admin@butler.local is not allowed to create tenantclusters in namespace butler-tenants',
    );
    env.sim.faults.failNext(1, { status: 429, reason: 'TooManyRequests', path: /tenantclusters\/h1$/ });
    const throttled = await env.api('DELETE', '/api/clusters/butler-tenants/h1');
    assert.equal(throttled.status, 503);
    assert.equal(throttled.body.error, 'kubernetes API is throttling requests');
  });

  it('lists sorted, filters by namespace, gets, scales and deletes', async () => {
    const list = await env.api('GET', '/api/clusters');
    assert.equal(list.status, 200);
    const names = list.body.clusters.map((c: any) => `${c.metadata.namespace}/${c.metadata.name}`);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes('butler-tenants/h1'));
    assert.equal(list.headers.get('cache-control'), 'no-store');
    const filtered = await env.api('GET', '/api/clusters?namespace=default');
    assert.deepEqual(filtered.body, { clusters: [] });
    const badNs = await env.api('GET', '/api/clusters?namespace=Bad');
    assert.equal(badNs.status, 400);
    const one = await env.api('GET', '/api/clusters/butler-tenants/h1');
    assert.equal(one.status, 200);
    assert.equal(one.body.kind, 'TenantCluster');
    assert.equal(one.body.spec.workers.replicas, 3);
    const scaled = await env.api('PATCH', '/api/clusters/butler-tenants/h1/scale', { replicas: 5 });
    assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
    assert.equal(scaled.body.spec.workers.replicas, 5);
    assert.equal((await env.api('GET', '/api/clusters/butler-tenants/h1')).body.spec.workers.replicas, 5);
    for (const replicas of [0, 101, 'x']) {
      const bad = await env.api('PATCH', '/api/clusters/butler-tenants/h1/scale', { replicas });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'replicas must be an integer between 1 and 100');
    }
    const del = await env.api('DELETE', '/api/clusters/butler-tenants/p2');
    assert.equal(del.status, 200);
    assert.deepEqual(del.body, { message: 'cluster deletion initiated' });
    assert.match(del.headers.get('content-type') ?? '', /^application\/json/);
    const after = await env.api('GET', '/api/clusters');
    assert.ok(!after.body.clusters.some((c: any) => c.metadata.name === 'p2'));
  });

  it('404 on every {ns}/{name} route of a missing cluster; 400 for a bad path parameter', async () => {
    const missing = 'TenantCluster "butler-tenants/ghost" not found';
    for (const [method, path, body] of [
      ['GET', '/api/clusters/butler-tenants/ghost'],
      ['DELETE', '/api/clusters/butler-tenants/ghost'],
      ['PATCH', '/api/clusters/butler-tenants/ghost/scale', { replicas: 2 }],
      ['GET', '/api/clusters/butler-tenants/ghost/kubeconfig'],
      ['GET', '/api/clusters/butler-tenants/ghost/nodes'],
      ['GET', '/api/clusters/butler-tenants/ghost/events'],
      ['GET', '/api/clusters/butler-tenants/ghost/addons'],
    ] as [string, string, unknown?][]) {
      const res = await env.api(method, path, body);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.error, missing);
    }
    const bad = await env.api('GET', '/api/clusters/Foo/x');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid namespace "Foo"');
    const unauth = await fetch(`${env.server.url}/api/clusters`);
    assert.equal(unauth.status, 401);
  });

  it('read-your-writes: create then list shows the new cluster, 200 times in a row', async () => {
    for (let i = 0; i < 200; i++) {
      const name = `ryw-${i}`;
      const created = await env.api('POST', '/api/clusters', { name, providerConfigRef: 'pmx' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const list = await env.api('GET', '/api/clusters');
      assert.ok(
        list.body.clusters.some((c: any) => c.metadata.name === name),
        `iteration ${i}: ${name} missing from the list`,
      );
    }
  });
});
