// PUT /api/clusters/{ns}/{name} (edit with optimistic concurrency) and GET …/export, against the simulator with the
// project's TenantCluster CRD.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { simGet, startApiEnv, baseSeed, type ApiEnv } from './fixture.js';
import { teamViewerSeed, viewerApi } from './team-viewer.js';

const TC = '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters';

const cluster = (name: string, spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'TenantCluster',
  metadata: {
    name,
    namespace: 'butler-tenants',
    annotations: {
      'butler.butlerlabs.dev/created-by': 'admin',
      'kubectl.kubernetes.io/last-applied-configuration': '{"secret":"no"}',
    },
    ...extra,
  },
  spec: {
    kubernetesVersion: 'v1.30.2',
    providerConfigRef: { name: 'pmx' },
    teamRef: { name: 'team-a' },
    controlPlane: { replicas: 1 },
    workers: { replicas: 2, machineTemplate: { cpu: 4, memory: '8Gi', diskSize: '50Gi' } },
    ...spec,
  },
  status: { phase: 'Ready', tenantNamespace: 'butler-tenants-x' },
});

describe('cluster edit and export', () => {
  let env: ApiEnv;
  let viewer: Awaited<ReturnType<typeof viewerApi>>;
  before(async () => {
    env = await startApiEnv({
      seed: [
        ...baseSeed(),
        ...teamViewerSeed(),
        cluster('e1'),
        cluster('e3', { controlPlane: { replicas: 3 } }),
        cluster('exp'),
      ],
    });
    viewer = await viewerApi(env);
  });
  after(async () => {
    await env?.close();
  });

  const rvOf = async (name: string) =>
    (await env.api('GET', `/api/clusters/butler-tenants/${name}`)).body.metadata.resourceVersion as string;

  it('changes workers and control-plane replicas and the machine template, keeping everything else', async () => {
    const rv = await rvOf('e1');
    const res = await env.api('PUT', '/api/clusters/butler-tenants/e1', {
      resourceVersion: rv,
      controlPlane: { replicas: 3 },
      workers: { replicas: 5, machineTemplate: { cpu: 8, diskSize: '80Gi' } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.notEqual(res.body.metadata.resourceVersion, rv);
    assert.equal(res.body.metadata.managedFields, undefined);
    const stored = (await simGet(env.sim, `${TC}/e1`)).body;
    assert.equal(stored.spec.controlPlane.replicas, 3);
    assert.equal(stored.spec.workers.replicas, 5);
    assert.deepEqual(stored.spec.workers.machineTemplate, { cpu: 8, memory: '8Gi', diskSize: '80Gi' });
    assert.equal(stored.spec.kubernetesVersion, 'v1.30.2');
    assert.deepEqual(stored.spec.teamRef, { name: 'team-a' });
    assert.equal(stored.status.phase, 'Ready', 'status is not touched');
    // The cache (GET, /ws) sees the change at once.
    assert.equal((await env.api('GET', '/api/clusters/butler-tenants/e1')).body.spec.workers.replicas, 5);
  });

  it('refuses a stale resourceVersion with 409 and changes nothing', async () => {
    const rv = await rvOf('e1');
    const first = await env.api('PUT', '/api/clusters/butler-tenants/e1', {
      resourceVersion: rv,
      workers: { replicas: 4 },
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const stale = await env.api('PUT', '/api/clusters/butler-tenants/e1', {
      resourceVersion: rv,
      workers: { replicas: 9 },
    });
    assert.equal(stale.status, 409);
    assert.match(
      stale.body.error,
      /^TenantCluster "butler-tenants\/e1" was changed since resourceVersion \d+; reload it and edit again$/,
    );
    assert.equal((await simGet(env.sim, `${TC}/e1`)).body.spec.workers.replicas, 4);
  });

  it('answers 400 with a clear message for a missing or invalid resourceVersion and for bad fields', async () => {
    const rv = await rvOf('e1');
    const cases: [unknown, RegExp][] = [
      [{ workers: { replicas: 3 } }, /^resourceVersion is required: send metadata\.resourceVersion/],
      [{ resourceVersion: 'abc', workers: { replicas: 3 } }, /^resourceVersion: must be the metadata\.resourceVersion/],
      [{ resourceVersion: 7, workers: { replicas: 3 } }, /^resourceVersion: /],
      [{ resourceVersion: rv, workers: { replicas: 0 } }, /^workers\.replicas: must be an integer between 1 and 100$/],
      [
        { resourceVersion: rv, workers: { machineTemplate: { memory: 'lots' } } },
        /^workers\.machineTemplate\.memory: must be a quantity/,
      ],
      [{ resourceVersion: rv, controlPlane: { replicas: 2 } }, /^controlPlane\.replicas: must be 1 or 3$/],
      [{ resourceVersion: rv, controlPlane: { replicas: 4 } }, /^controlPlane\.replicas: must be 1 or 3$/],
      [
        { resourceVersion: rv, kubernetesVersion: 'v1.29.9' },
        /^kubernetesVersion: downgrade from v1\.30\.2 to v1\.29\.9 is not permitted$/,
      ],
      [
        { resourceVersion: rv, infrastructureOverride: { harvester: {} } },
        /^infrastructureOverride: cannot be changed with this endpoint$/,
      ],
      [
        { resourceVersion: rv, workers: { machineTemplate: { gpu: 1 } } },
        /^workers\.machineTemplate\.gpu: cannot be changed/,
      ],
      [{ resourceVersion: rv }, /^nothing to change/],
      ['[1,2]', /^request body must be a JSON object$/],
    ];
    for (const [body, message] of cases) {
      const res = await env.api('PUT', '/api/clusters/butler-tenants/e1', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
      assert.match(res.body.error, message, JSON.stringify(body));
    }
    assert.equal(await rvOf('e1'), rv, 'nothing was written');
  });

  it('going from 3 to 1 control-plane replicas needs acknowledgeDowngrade', async () => {
    const rv = await rvOf('e3');
    const refused = await env.api('PUT', '/api/clusters/butler-tenants/e3', {
      resourceVersion: rv,
      controlPlane: { replicas: 1 },
    });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error, /^controlPlane\.replicas: reducing from 3 to 1 removes high availability/);
    const ok = await env.api('PUT', '/api/clusters/butler-tenants/e3', {
      resourceVersion: rv,
      controlPlane: { replicas: 1 },
      acknowledgeDowngrade: true,
      kubernetesVersion: 'v1.31.0',
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const stored = (await simGet(env.sim, `${TC}/e3`)).body;
    assert.equal(stored.spec.controlPlane.replicas, 1);
    assert.equal(stored.spec.kubernetesVersion, 'v1.31.0');
  });

  it('404 for an absent cluster; 403 for a team viewer, who may still export', async () => {
    const missing = await env.api('PUT', '/api/clusters/butler-tenants/ghost', {
      resourceVersion: '1',
      workers: { replicas: 2 },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'TenantCluster "butler-tenants/ghost" not found');
    const rv = await rvOf('exp');
    const denied = await viewer('PUT', '/api/clusters/butler-tenants/exp', {
      resourceVersion: rv,
      workers: { replicas: 3 },
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error, 'viewer role cannot update clusters');
    assert.equal((await simGet(env.sim, `${TC}/exp`)).body.spec.workers.replicas, 2);
    const exported = await viewer('GET', '/api/clusters/butler-tenants/exp/export');
    assert.equal(exported.status, 200);
  });

  it('exports clean YAML: no server-managed fields, no status, no last-applied annotation', async () => {
    const res = await fetch(`${env.server.url}/api/clusters/butler-tenants/exp/export`, {
      headers: { authorization: `Bearer ${env.token}` },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/yaml/);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="butler-tenants-exp.yaml"');
    const text = await res.text();
    const doc = yaml.load(text) as Record<string, any>;
    assert.deepEqual(Object.keys(doc).sort(), ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.equal(doc.apiVersion, 'butler.butlerlabs.dev/v1alpha1');
    assert.equal(doc.kind, 'TenantCluster');
    assert.deepEqual(doc.metadata, {
      name: 'exp',
      namespace: 'butler-tenants',
      annotations: { 'butler.butlerlabs.dev/created-by': 'admin' },
    });
    assert.equal(doc.spec.workers.machineTemplate.memory, '8Gi');
    for (const word of [
      'managedFields',
      'resourceVersion',
      'uid',
      'generation',
      'creationTimestamp',
      'last-applied',
      'status',
    ])
      assert.ok(!text.includes(word), `${word} is not exported`);
    const missing = await env.api('GET', '/api/clusters/butler-tenants/ghost/export');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'TenantCluster "butler-tenants/ghost" not found');
  });
});
