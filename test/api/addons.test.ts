import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { baseSeed, simGet, startApiEnv, type ApiEnv } from './fixture.js';

const G = '/apis/butler.butlerlabs.dev/v1alpha1';
const TA = `${G}/namespaces/butler-tenants/tenantaddons`;

const definition = (
  name: string,
  o: { platform?: boolean; category?: string; versions?: string[]; builtin?: boolean } = {},
) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'AddonDefinition',
  metadata: { name, labels: o.builtin ? { 'butler.butlerlabs.dev/source': 'builtin' } : {} },
  spec: {
    displayName: name.toUpperCase(),
    description: `${name} addon`,
    category: o.category ?? 'storage',
    platform: o.platform ?? false,
    chart: {
      repository: 'https://charts.example',
      name,
      defaultVersion: '1.7.0',
      availableVersions: o.versions ?? ['1.6.2', '1.7.0'],
    },
    defaults: { namespace: `${name}-system` },
    links: { documentation: 'https://docs.example' },
  },
});

const cluster = (name: string) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'TenantCluster',
  metadata: { name, namespace: 'butler-tenants' },
  spec: { kubernetesVersion: 'v1.30.2', providerConfigRef: { name: 'pmx' }, workers: { replicas: 1 } },
});

async function simSend(env: ApiEnv, method: string, path: string, body: unknown, contentType = 'application/json') {
  const res = await fetch(`${env.sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${env.sim.token}`, 'content-type': contentType },
    body: JSON.stringify(body),
  });
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.text()}`);
}

describe('addons API', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv({
      seed: [
        ...baseSeed(),
        definition('longhorn', { builtin: true }),
        definition('cilium', { platform: true, category: 'cni', builtin: true }),
        definition('argocd', { category: 'gitops', versions: [] }),
        definition('prometheus', { category: 'observability' }),
        cluster('a'),
        cluster('b'),
      ],
    });
    await simSend(
      env,
      'PATCH',
      `${G}/namespaces/butler-tenants/tenantclusters/a/status`,
      {
        status: {
          phase: 'Ready',
          observedState: { addons: [{ name: 'cilium', status: 'Healthy', version: '1.15.0', managedBy: 'butler' }] },
        },
      },
      'application/merge-patch+json',
    );
  });
  after(async () => {
    await env?.close();
  });

  it('catalog: platform first, then category and name; categories in use; one definition; 404', async () => {
    const res = await env.api('GET', '/api/addons/catalog');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.addons.map((a: any) => a.name),
      ['cilium', 'argocd', 'prometheus', 'longhorn'],
    );
    assert.deepEqual(
      res.body.categories.map((c: any) => c.name),
      ['cni', 'gitops', 'observability', 'storage'],
    );
    for (const c of res.body.categories)
      for (const k of ['displayName', 'description', 'icon']) assert.equal(typeof c[k], 'string');
    const one = await env.api('GET', '/api/addons/catalog/longhorn');
    assert.deepEqual(one.body, {
      name: 'longhorn',
      displayName: 'LONGHORN',
      description: 'longhorn addon',
      category: 'storage',
      chartRepository: 'https://charts.example',
      chartName: 'longhorn',
      defaultVersion: '1.7.0',
      availableVersions: ['1.6.2', '1.7.0'],
      defaultNamespace: 'longhorn-system',
      platform: false,
      source: 'builtin',
      links: { documentation: 'https://docs.example' },
    });
    assert.equal((await env.api('GET', '/api/addons/catalog/argocd')).body.source, 'custom');
    const missing = await env.api('GET', '/api/addons/catalog/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'AddonDefinition "nope" not found');
  });

  it('installs from the catalog and from a Helm chart; lists platform entries first', async () => {
    const res = await env.api('POST', '/api/clusters/butler-tenants/a/addons', {
      addon: 'longhorn',
      values: { replicas: 2 },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.metadata.name, 'longhorn-a');
    assert.deepEqual(res.body.metadata.labels, {
      'butler.butlerlabs.dev/cluster': 'a',
      'butler.butlerlabs.dev/addon-definition': 'longhorn',
    });
    assert.equal(res.body.metadata.annotations['butler.butlerlabs.dev/created-by'], 'admin');
    assert.deepEqual(res.body.spec, {
      clusterRef: { name: 'a' },
      addon: 'longhorn',
      version: '1.7.0',
      values: { replicas: 2 },
    });
    const helm = await env.api('POST', '/api/clusters/butler-tenants/a/addons', {
      helm: { repository: 'oci://registry.example/charts', chart: 'podinfo', version: '6.5.0', namespace: 'apps' },
    });
    assert.equal(helm.status, 201, JSON.stringify(helm.body));
    assert.equal(helm.body.metadata.name, 'podinfo-a');
    assert.deepEqual(helm.body.spec, {
      clusterRef: { name: 'a' },
      version: '6.5.0',
      helm: { repository: 'oci://registry.example/charts', chart: 'podinfo', namespace: 'apps', createNamespace: true },
    });
    const list = await env.api('GET', '/api/clusters/butler-tenants/a/addons');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.addons.map((a: any) => [a.name, a.managedBy]),
      [
        ['cilium', 'platform'],
        ['longhorn', 'butler'],
        ['podinfo', 'butler'],
      ],
    );
    assert.deepEqual(list.body.addons[0], {
      name: 'cilium',
      displayName: 'CILIUM',
      status: 'Installed',
      phase: 'Healthy',
      version: '1.15.0',
      installedVersion: '1.15.0',
      managedBy: 'platform',
    });
    assert.equal(list.body.addons[1].resourceName, 'longhorn-a');
    assert.equal(list.body.addons[1].displayName, 'LONGHORN');
    assert.equal(list.body.addons[1].status, 'Pending');
    assert.equal(list.body.addons[1].version, '1.7.0');
  });

  it('platform entries carry version (the installed one), in the list and the single GET', async () => {
    const platform = await env.api('GET', '/api/clusters/butler-tenants/a/addons/cilium');
    assert.equal(platform.status, 200);
    assert.equal(platform.body.version, '1.15.0');
    const list = await env.api('GET', '/api/clusters/butler-tenants/a/addons');
    for (const a of list.body.addons) assert.ok(a.version, `${a.name} has no version`);
  });

  it('install errors', async () => {
    const cases: [unknown, number, string][] = [
      [{}, 400, 'exactly one of addon or helm is required'],
      [
        { addon: 'longhorn', helm: { repository: 'https://x', chart: 'y' } },
        400,
        'exactly one of addon or helm is required',
      ],
      [{ addon: 'nope' }, 400, 'addon definition "nope" not found'],
      [{ addon: 'cilium' }, 400, 'platform addons are managed automatically and cannot be installed manually'],
      [
        { addon: 'prometheus', version: '9.9.9' },
        400,
        'version: 9.9.9 is not offered by addon prometheus (available: 1.6.2, 1.7.0)',
      ],
      [{ addon: 'prometheus', values: [1] }, 400, 'values: must be an object'],
      [
        { helm: { repository: 'ftp://x', chart: 'y', version: '1' } },
        400,
        'helm.repository: must be an http(s):// or oci:// URL',
      ],
      [
        { helm: { repository: 'https://x', chart: 'Bad', version: '1' } },
        400,
        "helm.chart: must be a DNS-1123 label (lowercase letters, digits and '-', at most 53 characters)",
      ],
      [
        { addon: 'longhorn' },
        409,
        'addon "longhorn" is already installed on cluster "butler-tenants/a"; change its values with PUT /api/clusters/butler-tenants/a/addons/longhorn',
      ],
    ];
    for (const [body, status, error] of cases) {
      const res = await env.api('POST', '/api/clusters/butler-tenants/a/addons', body);
      assert.equal(res.status, status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, error);
    }
    const ghost = await env.api('POST', '/api/clusters/butler-tenants/ghost/addons', { addon: 'longhorn' });
    assert.equal(ghost.status, 404);
    assert.equal(ghost.body.error, 'TenantCluster "butler-tenants/ghost" not found');
  });

  it("a tenant addon of cluster A is not reachable through cluster B's path", async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await env.api(
        method,
        '/api/clusters/butler-tenants/b/addons/longhorn-a',
        method === 'PUT' ? { values: {} } : undefined,
      );
      assert.equal(res.status, 404, method);
      assert.equal(res.body.error, 'addon "longhorn-a" is not installed on cluster "butler-tenants/b"');
    }
    assert.equal((await simGet(env.sim, `${TA}/longhorn-a`)).status, 200);
    assert.deepEqual((await env.api('GET', '/api/clusters/butler-tenants/b/addons')).body, { addons: [] });
  });

  it('get, re-configure (values replaced, null removes) and uninstall', async () => {
    const one = await env.api('GET', '/api/clusters/butler-tenants/a/addons/longhorn');
    assert.equal(one.status, 200);
    assert.equal(one.body.resourceName, 'longhorn-a');
    const put = await env.api('PUT', '/api/clusters/butler-tenants/a/addons/longhorn-a', {
      values: { a: 1 },
      version: '1.6.2',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.spec.values, { a: 1 });
    assert.equal(put.body.spec.version, '1.6.2');
    const cleared = await env.api('PUT', '/api/clusters/butler-tenants/a/addons/longhorn', { values: null });
    assert.equal(cleared.body.spec.values, undefined);
    const nothing = await env.api('PUT', '/api/clusters/butler-tenants/a/addons/longhorn', {});
    assert.equal(nothing.status, 400);
    assert.equal(nothing.body.error, 'nothing to update');
    const badVersion = await env.api('PUT', '/api/clusters/butler-tenants/a/addons/longhorn', { version: '0.0.1' });
    assert.equal(badVersion.body.error, 'version: 0.0.1 is not offered by addon longhorn (available: 1.6.2, 1.7.0)');
    const platformPut = await env.api('PUT', '/api/clusters/butler-tenants/a/addons/cilium', { values: {} });
    assert.equal(platformPut.body.error, 'platform addons are managed by the platform and cannot be changed');
    const platformDel = await env.api('DELETE', '/api/clusters/butler-tenants/a/addons/cilium');
    assert.equal(platformDel.status, 400);
    assert.equal(platformDel.body.error, 'platform addons cannot be uninstalled');
    const badName = await env.api('GET', '/api/clusters/butler-tenants/a/addons/Bad_Name');
    assert.equal(badName.status, 400);
    assert.equal(badName.body.error, 'invalid addon name');
    const del = await env.api('DELETE', '/api/clusters/butler-tenants/a/addons/podinfo');
    assert.deepEqual(del.body, { message: 'addon uninstall initiated' });
    assert.equal(del.status, 200);
    assert.equal((await simGet(env.sim, `${TA}/podinfo-a`)).status, 404);
  });

  it('management addons: install, list, get, update, delete and errors', async () => {
    const created = await env.api('POST', '/api/management/addons', { addon: 'prometheus', values: { x: 1 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body, {
      name: 'prometheus',
      addon: 'prometheus',
      displayName: 'PROMETHEUS',
      version: '1.7.0',
      status: { phase: 'Pending' },
    });
    const stored = await simGet(env.sim, `${G}/managementaddons/prometheus`);
    assert.equal(stored.body.metadata.labels['butler.butlerlabs.dev/addon-definition'], 'prometheus');
    const dup = await env.api('POST', '/api/management/addons', { addon: 'prometheus' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error, 'ManagementAddon "prometheus" already exists');
    for (const [body, error] of [
      [{}, 'addon is required'],
      [{ addon: 'nope' }, 'addon definition "nope" not found'],
      [{ addon: 'cilium' }, 'platform addons cannot be installed on the management cluster through this API'],
      [
        { addon: 'longhorn', version: '2.0.0' },
        'version: 2.0.0 is not offered by addon longhorn (available: 1.6.2, 1.7.0)',
      ],
    ] as const) {
      const res = await env.api('POST', '/api/management/addons', body);
      assert.equal(res.status, 400);
      assert.equal(res.body.error, error);
    }
    const named = await env.api('POST', '/api/management/addons', {
      name: 'mon2',
      addon: 'prometheus',
      version: '1.6.2',
    });
    assert.equal(named.status, 201);
    const list = await env.api('GET', '/api/management/addons');
    assert.deepEqual(
      list.body.addons.map((a: any) => a.name),
      ['mon2', 'prometheus'],
    );
    const put = await env.api('PUT', '/api/management/addons/mon2', { version: '1.7.0' });
    assert.equal(put.status, 200);
    assert.equal(put.body.version, '1.7.0');
    assert.equal((await env.api('PUT', '/api/management/addons/mon2', {})).body.error, 'nothing to update');
    const get = await env.api('GET', '/api/management/addons/mon2');
    assert.equal(get.body.addon, 'prometheus');
    const del = await env.api('DELETE', '/api/management/addons/mon2');
    assert.deepEqual(del.body, { message: 'addon uninstall initiated' });
    for (const method of ['GET', 'DELETE', 'PUT']) {
      const res = await env.api(
        method,
        '/api/management/addons/mon2',
        method === 'PUT' ? { version: '1.7.0' } : undefined,
      );
      assert.equal(res.status, 404, method);
      assert.equal(res.body.error, 'ManagementAddon "mon2" not found');
    }
  });
});
