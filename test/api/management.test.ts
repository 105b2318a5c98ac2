import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baseSeed, startApiEnv, type ApiEnv } from './fixture.js';

const node = (name: string, ready: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'node-role.kubernetes.io/control-plane': '' } },
  status: { conditions: [{ type: 'Ready', status: ready }], nodeInfo: { kubeletVersion: 'v1.30.1' } },
});

const pod = (namespace: string, name: string, phase: string, ready: boolean[], restarts = 0) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: { containers: ready.map((_, i) => ({ name: `c${i}`, image: 'busybox' })) },
  status: { phase, containerStatuses: ready.map((r, i) => ({ name: `c${i}`, ready: r, restartCount: restarts })) },
});

describe('management API', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv({
      seed: [
        ...baseSeed(),
        node('m2', 'False'),
        node('m1', 'True'),
        pod('butler-system', 'server', 'Running', [true, false], 2),
        pod('butler-system', 'controller', 'Pending', [false]),
        pod('kube-system', 'coredns', 'Running', [true]),
        {
          apiVersion: 'butler.butlerlabs.dev/v1alpha1',
          kind: 'TenantCluster',
          metadata: { name: 'a', namespace: 'butler-tenants' },
          spec: { kubernetesVersion: 'v1.30.2', providerConfigRef: { name: 'pmx' }, workers: { replicas: 1 } },
        },
      ],
    });
  });
  after(async () => {
    await env?.close();
  });

  it('summary: version, node readiness, pods per system namespace in setting order, tenant clusters', async () => {
    const res = await env.api('GET', '/api/management');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.name, 'management');
    assert.match(res.body.kubernetesVersion, /^v\d+\.\d+\.\d+/);
    assert.equal(res.body.phase, 'Degraded');
    assert.deepEqual(res.body.nodes, { total: 2, ready: 1 });
    assert.equal(res.body.tenantClusters, 1);
    assert.deepEqual(res.body.systemNamespaces, [
      { namespace: 'butler-system', running: 1, total: 2 },
      { namespace: 'kamaji-system', running: 0, total: 0 },
      { namespace: 'capi-system', running: 0, total: 0 },
      { namespace: 'cert-manager', running: 0, total: 0 },
      { namespace: 'kube-system', running: 1, total: 1 },
    ]);
    assert.deepEqual(res.body.tenantNamespaces, [
      { name: 'a', namespace: 'butler-tenants', tenantNamespace: '', phase: '' },
    ]);
  });

  it('nodes by name', async () => {
    const res = await env.api('GET', '/api/management/nodes');
    assert.deepEqual(
      res.body.nodes.map((n: any) => [n.name, n.status, n.roles]),
      [
        ['m1', 'Ready', ['control-plane']],
        ['m2', 'NotReady', ['control-plane']],
      ],
    );
  });

  it('pods on both paths, one answer; a missing namespace is an empty list', async () => {
    const a = await env.api('GET', '/api/management/namespaces/butler-system/pods');
    const b = await env.api('GET', '/api/management/pods/butler-system');
    assert.equal(a.status, 200);
    assert.deepEqual(
      a.body.pods.map((p: any) => ({ ...p, age: undefined })),
      [
        {
          name: 'controller',
          namespace: 'butler-system',
          status: 'Pending',
          ready: '0/1',
          restarts: 0,
          age: undefined,
        },
        { name: 'server', namespace: 'butler-system', status: 'Running', ready: '1/2', restarts: 4, age: undefined },
      ],
    );
    assert.deepEqual(
      b.body.pods.map((p: any) => p.name),
      a.body.pods.map((p: any) => p.name),
    );
    assert.deepEqual((await env.api('GET', '/api/management/pods/nowhere')).body, { pods: [] });
    const bad = await env.api('GET', '/api/management/pods/Bad');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid namespace "Bad"');
    // A rejected path value is echoed only up to the longest valid name.
    const long = await env.api('GET', `/api/management/pods/${'a'.repeat(300)}`);
    assert.equal(long.status, 400);
    assert.equal(long.body.error, `invalid namespace "${'a'.repeat(253)}…"`);
  });
});
