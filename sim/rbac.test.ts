// RBAC for service-account tokens over real HTTP: Role/ClusterRole/RoleBinding/ClusterRoleBinding decide,
// the admin token stays all-powerful, refusals are the Status kube-apiserver sends.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startSimulator, type Simulator } from './index.js';
import { request } from './test-client.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
let sim: Simulator;
const admin = (method: string, path: string, body?: unknown) => request(sim.url, sim.token, method, path, body);

async function put(
  path: string,
  obj: { metadata: { name: string; namespace?: string }; [k: string]: unknown },
): Promise<void> {
  let r = await admin('POST', path, obj);
  if (r.status === 409) r = await admin('PUT', `${path}/${obj.metadata.name}`, obj);
  assert.ok(r.status === 200 || r.status === 201, `${path}: ${r.status} ${r.text}`);
}
async function remove(path: string): Promise<void> {
  const r = await admin('DELETE', path);
  assert.ok(r.status === 200 || r.status === 404, r.text);
}

before(async () => {
  sim = await startSimulator({
    seed: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot', namespace: 'app' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: 'app' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'app' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'app' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'other' } },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'app' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    ],
  });
});
after(() => sim.stop());

describe('authentication of service-account tokens', () => {
  test('an unknown token is 401; a known one is authenticated but allowed nothing without bindings', async () => {
    assert.equal((await request(sim.url, 'sa-not-issued', 'GET', '/api/v1/namespaces/app/configmaps')).status, 401);
    const token = sim.tokenFor('app', 'nobody');
    const r = await request(sim.url, token, 'GET', '/api/v1/namespaces/app/configmaps');
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'configmaps is forbidden: User "system:serviceaccount:app:nobody" cannot list resource "configmaps" in API group "" in the namespace "app"',
      reason: 'Forbidden',
      details: { kind: 'configmaps' },
      code: 403,
    });
  });

  test('discovery and /version need no grant', async () => {
    const token = sim.tokenFor('app', 'nobody');
    for (const path of ['/version', '/api', '/apis', '/api/v1']) {
      assert.equal((await request(sim.url, token, 'GET', path)).status, 200, path);
    }
  });

  test('a token stops working when its ServiceAccount is deleted', async () => {
    await put('/api/v1/namespaces/app/serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'temp', namespace: 'app' },
    });
    const token = sim.tokenFor('app', 'temp');
    assert.equal((await request(sim.url, token, 'GET', '/api/v1/namespaces/app/configmaps')).status, 403);
    await remove('/api/v1/namespaces/app/serviceaccounts/temp');
    assert.equal((await request(sim.url, token, 'GET', '/api/v1/namespaces/app/configmaps')).status, 401);
  });

  test('the admin token is never refused', async () => {
    assert.equal((await admin('GET', '/api/v1/secrets')).status, 200);
    assert.equal((await admin('DELETE', '/api/v1/namespaces/other/configmaps/missing')).status, 404);
  });
});

describe('authorization by stored RBAC objects', () => {
  test('a Role bound by a RoleBinding grants its verbs in its namespace only', async (t) => {
    await put(`${RBAC}/namespaces/app/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'cm-read', namespace: 'app' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
    });
    await put(`${RBAC}/namespaces/app/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'cm-read', namespace: 'app' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-read' },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'app' }],
    });
    t.after(async () => {
      await remove(`${RBAC}/namespaces/app/rolebindings/cm-read`);
      await remove(`${RBAC}/namespaces/app/roles/cm-read`);
    });
    const token = sim.tokenFor('app', 'bot');
    const as = (method: string, path: string, body?: unknown) => request(sim.url, token, method, path, body);
    assert.equal((await as('GET', '/api/v1/namespaces/app/configmaps')).status, 200);
    assert.equal((await as('GET', '/api/v1/namespaces/app/configmaps/a')).status, 200);
    // not watch, not other namespaces, not all namespaces, not writes, not other resources
    assert.equal((await as('GET', '/api/v1/namespaces/app/configmaps?watch=true')).status, 403);
    assert.equal((await as('GET', '/api/v1/watch/namespaces/app/configmaps')).status, 403);
    const otherNs = await as('GET', '/api/v1/namespaces/other/configmaps/c');
    assert.equal(otherNs.status, 403);
    assert.equal(
      otherNs.body.message,
      'configmaps "c" is forbidden: User "system:serviceaccount:app:bot" cannot get resource "configmaps" in API group "" in the namespace "other"',
    );
    assert.deepEqual(otherNs.body.details, { name: 'c', kind: 'configmaps' });
    const all = await as('GET', '/api/v1/configmaps');
    assert.equal(all.status, 403);
    assert.match(all.body.message, /cannot list resource "configmaps" in API group "" at the cluster scope$/);
    const create = await as('POST', '/api/v1/namespaces/app/configmaps', { metadata: { name: 'x' } });
    assert.equal(create.status, 403);
    assert.match(create.body.message, /^configmaps is forbidden: .* cannot create resource "configmaps"/);
    assert.equal((await as('DELETE', '/api/v1/namespaces/app/configmaps/a')).status, 403);
    assert.equal((await as('DELETE', '/api/v1/namespaces/app/configmaps')).status, 403);
    assert.equal((await as('GET', '/api/v1/namespaces/app/secrets')).status, 403);
    // another service account gets nothing from this binding
    assert.equal(
      (await request(sim.url, sim.tokenFor('app', 'nobody'), 'GET', '/api/v1/namespaces/app/configmaps')).status,
      403,
    );
    const last = sim.denials.at(-1)!;
    assert.deepEqual(last, {
      user: 'system:serviceaccount:app:nobody',
      verb: 'list',
      apiGroup: '',
      resource: 'configmaps',
      namespace: 'app',
    });
  });

  test('a ClusterRoleBinding grants everywhere; a RoleBinding to a ClusterRole only in its namespace', async (t) => {
    await put(`${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'cm-all' },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] },
        { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
        { apiGroups: ['apps'], resources: ['*'], verbs: ['*'] },
      ],
    });
    await put(`${RBAC}/clusterroles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'cm-delete' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['delete'] }],
    });
    await put(`${RBAC}/clusterrolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cm-all' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cm-all' },
      subjects: [{ kind: 'User', name: 'system:serviceaccount:app:bot' }],
    });
    await put(`${RBAC}/namespaces/other/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'cm-delete', namespace: 'other' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cm-delete' },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'app' }],
    });
    t.after(async () => {
      await remove(`${RBAC}/clusterrolebindings/cm-all`);
      await remove(`${RBAC}/namespaces/other/rolebindings/cm-delete`);
      await remove(`${RBAC}/clusterroles/cm-all`);
      await remove(`${RBAC}/clusterroles/cm-delete`);
    });
    const token = sim.tokenFor('app', 'bot');
    const as = (method: string, path: string) => request(sim.url, token, method, path);
    assert.equal((await as('GET', '/api/v1/configmaps')).status, 200);
    assert.equal((await as('GET', '/api/v1/namespaces/other/configmaps')).status, 200);
    assert.equal((await as('GET', '/api/v1/nodes')).status, 200);
    const node = await as('GET', '/api/v1/nodes/n1');
    assert.equal(node.status, 403);
    assert.match(
      node.body.message,
      /^nodes "n1" is forbidden: .* cannot get resource "nodes" .* at the cluster scope$/,
    );
    assert.equal((await as('DELETE', '/api/v1/namespaces/app/configmaps/b')).status, 403);
    assert.equal((await as('DELETE', '/api/v1/namespaces/other/configmaps/c')).status, 200);
    assert.equal((await as('GET', '/apis/apps/v1/namespaces/app/deployments')).status, 200);
    const secrets = await as('GET', '/api/v1/secrets');
    assert.equal(secrets.status, 403);
  });

  test('resourceNames and subresources', async (t) => {
    await put(`${RBAC}/namespaces/app/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'narrow', namespace: 'app' },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['get', 'update', 'list'] },
        { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
        { apiGroups: ['*'], resources: ['pods/status'], verbs: ['patch'] },
      ],
    });
    await put(`${RBAC}/namespaces/app/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'narrow', namespace: 'app' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'narrow' },
      subjects: [{ kind: 'Group', name: 'system:serviceaccounts:app' }],
    });
    t.after(async () => {
      await remove(`${RBAC}/namespaces/app/rolebindings/narrow`);
      await remove(`${RBAC}/namespaces/app/roles/narrow`);
    });
    const token = sim.tokenFor('app', 'nobody');
    const as = (method: string, path: string, body?: unknown, ct?: string) =>
      request(sim.url, token, method, path, body, ct);
    assert.equal((await as('GET', '/api/v1/namespaces/app/configmaps/a')).status, 200);
    assert.equal((await as('GET', '/api/v1/namespaces/app/configmaps/b')).status, 403);
    // a list has no name, so a resourceNames rule does not cover it
    assert.equal((await as('GET', '/api/v1/namespaces/app/configmaps')).status, 403);
    assert.equal((await as('GET', '/api/v1/namespaces/app/pods/p/log')).status, 200);
    const pod = await as('GET', '/api/v1/namespaces/app/pods/p');
    assert.equal(pod.status, 403);
    const status = await as(
      'PATCH',
      '/api/v1/namespaces/app/pods/p/status',
      { status: { phase: 'Running' } },
      'application/merge-patch+json',
    );
    assert.equal(status.status, 200, status.text);
    const podPatch = await as(
      'PATCH',
      '/api/v1/namespaces/app/pods/p',
      { metadata: {} },
      'application/merge-patch+json',
    );
    assert.equal(podPatch.status, 403);
    const exec = await as('POST', '/api/v1/namespaces/app/pods/p/exec?command=true');
    assert.equal(exec.status, 403);
    assert.equal(
      exec.body.message,
      'pods "p" is forbidden: User "system:serviceaccount:app:nobody" cannot create resource "pods/exec" in API group "" in the namespace "app"',
    );
  });

  test('a WebSocket exec needs both get and create on pods/exec', async (t) => {
    const bind = async (verbs: string[]) => {
      await put(`${RBAC}/namespaces/app/roles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'exec', namespace: 'app' },
        rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs }],
      });
    };
    await put(`${RBAC}/namespaces/app/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'exec', namespace: 'app' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'exec' },
      subjects: [{ kind: 'ServiceAccount', name: 'bot' }],
    });
    t.after(async () => {
      await remove(`${RBAC}/namespaces/app/rolebindings/exec`);
      await remove(`${RBAC}/namespaces/app/roles/exec`);
    });
    const token = sim.tokenFor('app', 'bot');
    const open = () =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(
          `${sim.url.replace('http', 'ws')}/api/v1/namespaces/app/pods/p/exec?command=true&stdout=true`,
          ['v4.channel.k8s.io'],
          { headers: { Authorization: `Bearer ${token}` } },
        );
        ws.on('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          res.resume();
        });
        ws.on('error', reject);
      });
    await bind(['get']);
    assert.equal(await open(), 403);
    await bind(['create']);
    assert.equal(await open(), 403);
    await bind(['get', 'create']);
    assert.equal(await open(), 101);
  });
});
