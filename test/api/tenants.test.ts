import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { simRequest } from '../helpers/sim.js';
import { baseSeed, ns, startApiEnv, type ApiEnv } from './fixture.js';

const TC = '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const cluster = (name: string) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'TenantCluster',
  metadata: { name, namespace: 'butler-tenants' },
  spec: { kubernetesVersion: 'v1.30.2', providerConfigRef: { name: 'pmx' }, workers: { replicas: 1 } },
});

const secret = (namespace: string, name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

const event = (namespace: string, name: string, o: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace },
  type: 'Normal',
  reason: 'Test',
  message: name,
  ...o,
});

describe('tenant cluster access: kubeconfig, nodes, events', () => {
  let env: ApiEnv;
  let tenant: Simulator;
  let dir: string;
  const marker = () => join(dir, 'exec-ran');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'butler-tenants-'));
    tenant = await startSimulator({
      seed: [
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: 'w2', labels: { 'node-role.kubernetes.io/worker': '' } },
          status: {
            conditions: [{ type: 'Ready', status: 'False' }],
            nodeInfo: { kubeletVersion: 'v1.30.2', osImage: 'Talos', containerRuntimeVersion: 'containerd://1.7' },
            addresses: [{ type: 'InternalIP', address: '10.0.0.12' }],
            capacity: { cpu: '4', memory: '16318712Ki' },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name: 'cp1',
            labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/etcd': '' },
          },
          status: {
            conditions: [{ type: 'Ready', status: 'True' }],
            addresses: [{ type: 'InternalIP', address: '10.0.0.11' }],
          },
        },
      ],
    });
    const execKc = JSON.stringify({
      clusters: [{ name: 'c', cluster: { server: tenant.url } }],
      users: [
        {
          name: 'u',
          user: {
            exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'touch', args: [join(dir, 'exec-ran')] },
          },
        },
      ],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    });
    env = await startApiEnv({
      seed: [
        ...baseSeed(),
        ns('tn-a'),
        ns('tn-evil'),
        ns('tn-nokey'),
        cluster('a'),
        cluster('b'),
        cluster('evil'),
        cluster('pending'),
        cluster('nokey'),
        secret('tn-a', 'a-kubeconfig', { value: 'not used: the admin Secret comes first' }),
        secret('tn-a', 'a-admin-kubeconfig', { 'admin.conf': '', value: tenant.kubeconfig }),
        secret('tn-evil', 'evil-admin-kubeconfig', { 'admin.conf': execKc }),
        secret('tn-nokey', 'nokey-admin-kubeconfig', { other: 'x' }),
        event('butler-tenants', 'ev-a-old', {
          involvedObject: { kind: 'TenantCluster', name: 'a', namespace: 'butler-tenants' },
          lastTimestamp: '2024-01-01T00:00:00Z',
          firstTimestamp: '2023-12-31T00:00:00Z',
          count: 3,
          source: { component: 'butler-controller' },
        }),
        event('butler-tenants', 'ev-b', {
          involvedObject: { kind: 'TenantCluster', name: 'b', namespace: 'butler-tenants' },
          lastTimestamp: '2024-06-01T00:00:00Z',
        }),
        event('tn-a', 'ev-tenant-new', {
          involvedObject: { kind: 'Pod', name: 'p' },
          eventTime: '2024-05-01T00:00:00.000000Z',
          reportingComponent: 'kubelet',
          series: { count: 7, lastObservedTime: '2024-05-02T00:00:00.000000Z' },
        }),
      ],
      env: { BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8' },
    });
    for (const [name, status] of [
      ['a', { phase: 'Ready', tenantNamespace: 'tn-a' }],
      ['evil', { phase: 'Ready', tenantNamespace: 'tn-evil' }],
      ['nokey', { phase: 'Ready', tenantNamespace: 'tn-nokey', kubeconfigSecretRef: { name: 'custom' } }],
    ] as const)
      await simRequest(env.sim, 'PATCH', `${TC}/${name}/status`, { status }, 'application/merge-patch+json');
  });
  after(async () => {
    await env?.close();
    await tenant?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubeconfig: the stored value, found in lookup order', async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/a/kubeconfig');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.kubeconfig, tenant.kubeconfig);
    assert.ok(env.server.logs.some((l) => l.includes('kubeconfig.download')));
    assert.ok(!env.server.logs.some((l) => l.includes(tenant.token)), 'the kubeconfig was logged');
  });

  it('kubeconfig: 404 not available yet without tenant namespace, Secret or key', async () => {
    for (const name of ['pending', 'nokey']) {
      const res = await env.api('GET', `/api/clusters/butler-tenants/${name}/kubeconfig`);
      assert.equal(res.status, 404);
      assert.equal(res.body.error, `kubeconfig for cluster "butler-tenants/${name}" is not available yet`);
      const nodes = await env.api('GET', `/api/clusters/butler-tenants/${name}/nodes`);
      assert.equal(nodes.status, 404);
      assert.equal(nodes.body.error, `kubeconfig for cluster "butler-tenants/${name}" is not available yet`);
    }
  });

  it('nodes: listed in the tenant cluster, NodeInfo by name', async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/a/nodes');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.nodes.map((n: any) => n.name),
      ['cp1', 'w2'],
    );
    const [cp1, w2] = res.body.nodes;
    assert.deepEqual(cp1.roles, ['control-plane', 'etcd']);
    assert.equal(cp1.status, 'Ready');
    assert.equal(cp1.internalIP, '10.0.0.11');
    assert.equal(typeof cp1.age, 'string');
    assert.deepEqual(
      { ...w2, age: undefined },
      {
        name: 'w2',
        status: 'NotReady',
        roles: ['worker'],
        version: 'v1.30.2',
        internalIP: '10.0.0.12',
        os: 'Talos',
        containerRuntime: 'containerd://1.7',
        cpu: '4',
        memory: '16318712Ki',
        age: undefined,
      },
    );
  });

  it('nodes: an exec kubeconfig is unusable (502) and never runs', async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/evil/nodes');
    assert.equal(res.status, 502);
    assert.equal(res.body.error, 'tenant cluster kubeconfig is unusable');
    assert.equal(existsSync(marker()), false);
  });

  it('nodes: an unreachable tenant answers 502 with "tenant cluster API"', async () => {
    await tenant.faults.down();
    try {
      const res = await env.api('GET', '/api/clusters/butler-tenants/a/nodes');
      assert.equal(res.status, 502, JSON.stringify(res.body));
      assert.equal(res.body.error, 'tenant cluster API unavailable');
    } finally {
      await tenant.faults.up();
    }
  });

  it('events: the tenant namespace and the cluster object events, newest first, cut to limit', async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/a/events');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.events.map((e: any) => e.message),
      ['ev-tenant-new', 'ev-a-old'],
    );
    assert.deepEqual(res.body.events[0], {
      type: 'Normal',
      reason: 'Test',
      message: 'ev-tenant-new',
      count: 7,
      source: 'kubelet',
      lastTimestamp: '2024-05-02T00:00:00.000000Z',
      firstTimestamp: '2024-05-01T00:00:00.000000Z',
      involvedObject: { kind: 'Pod', name: 'p' },
    });
    assert.equal(res.body.events[1].count, 3);
    assert.equal(res.body.events[1].source, 'butler-controller');
    assert.equal(res.body.events[1].firstTimestamp, '2023-12-31T00:00:00Z');
    const limited = await env.api('GET', '/api/clusters/butler-tenants/a/events?limit=1');
    assert.equal(limited.body.events.length, 1);
    for (const limit of ['0', '501', 'x']) {
      const bad = await env.api('GET', `/api/clusters/butler-tenants/a/events?limit=${limit}`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error, 'limit: must be an integer between 1 and 500');
    }
    const pending = await env.api('GET', '/api/clusters/butler-tenants/pending/events');
    assert.deepEqual(pending.body, { events: [] });
  });
});
