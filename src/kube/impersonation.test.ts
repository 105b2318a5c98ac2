// client.as(): requests sent as a user (Impersonate-User / Impersonate-Group), decided by the simulator's RBAC as
// kube-apiserver decides them; how refusals (RBAC, missing impersonate grant, admission webhooks) become answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { HttpError } from '../http/errors.js';
import { createKubeClient, type KubeClient } from './client.js';
import { KubeApiError, toHttpError, WebhookDeniedError } from './errors.js';
import { API_USERS_GROUP, AUTHENTICATED_GROUP, impersonationHeaders, userImpersonation } from './impersonation.js';

const NS = 'team-a';
const CMS = `/api/v1/namespaces/${NS}/configmaps`;
const RBAC = 'rbac.authorization.k8s.io';

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS } });

async function failure(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `expected KubeApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

function clientFor(kubeconfig: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return createKubeClient(kc, { timeoutMs: 5000 });
}

describe('userImpersonation and impersonationHeaders', () => {
  test('the session email, lowercased, in butler-api-users and system:authenticated; no email, no impersonation', () => {
    assert.deepEqual(userImpersonation(' Jane.Doe@Example.com '), {
      user: 'jane.doe@example.com',
      groups: ['butler-api-users', 'system:authenticated'],
    });
    assert.equal(userImpersonation(''), undefined);
    assert.equal(userImpersonation(undefined), undefined);
    assert.deepEqual(impersonationHeaders({ user: 'a@b.c', groups: ['g1', 'g2'] }), {
      'impersonate-user': 'a@b.c',
      'impersonate-group': ['g1', 'g2'],
    });
    assert.throws(() => impersonationHeaders({ user: 'a@b.c\r\nImpersonate-Group: system:masters', groups: [] }));
    assert.throws(() => impersonationHeaders({ user: '', groups: ['g'] }));
  });
});

describe('KubeClient.as against the simulator', () => {
  let sim: Simulator;
  let admin: KubeClient;
  let serverAccount: KubeClient;
  const jane = userImpersonation('jane@example.com')!;

  before(async () => {
    sim = await startSimulator({
      seed: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'butler-server', namespace: NS } },
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'existing', namespace: NS } },
        {
          apiVersion: `${RBAC}/v1`,
          kind: 'ClusterRole',
          metadata: { name: 'butler-api-users' },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get'] }],
        },
        {
          apiVersion: `${RBAC}/v1`,
          kind: 'ClusterRoleBinding',
          metadata: { name: 'butler-api-users' },
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'butler-api-users' },
          subjects: [{ apiGroup: RBAC, kind: 'Group', name: API_USERS_GROUP }],
        },
        // The server's own account may read configmaps, but not impersonate anyone.
        {
          apiVersion: `${RBAC}/v1`,
          kind: 'ClusterRole',
          metadata: { name: 'server-reads' },
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
        },
        {
          apiVersion: `${RBAC}/v1`,
          kind: 'ClusterRoleBinding',
          metadata: { name: 'server-reads' },
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'server-reads' },
          subjects: [{ kind: 'ServiceAccount', name: 'butler-server', namespace: NS }],
        },
      ],
    });
    admin = clientFor(sim.kubeconfig);
    const kc = new KubeConfig();
    kc.loadFromFile(sim.kubeconfigFor(NS, 'butler-server'));
    serverAccount = createKubeClient(kc, { timeoutMs: 5000 });
  });
  after(async () => {
    admin?.close();
    serverAccount?.close();
    await sim?.stop();
  });

  test('a view sends every request as the user, in both groups; the client itself stays the server', async () => {
    sim.recordRequests(true);
    const view = admin.as(jane);
    assert.deepEqual(view.impersonating, jane);
    assert.equal(admin.impersonating, undefined);
    const created = await view.request<{ metadata: { name: string } }>({
      method: 'POST',
      path: CMS,
      body: configMap('by-jane'),
    });
    assert.equal(created.metadata.name, 'by-jane');
    const sent = sim.requests.find((r) => r.method === 'POST' && r.path === CMS)!;
    assert.equal(sent.headers['impersonate-user'], 'jane@example.com');
    // node joins repeated request headers with ", " when recording; the simulator reads each line
    assert.equal(sent.headers['impersonate-group'], `${API_USERS_GROUP}, ${AUTHENTICATED_GROUP}`);
    sim.recordRequests(false);
    // what the API server decided the request runs as
    const review = await view.request<{ status: { allowed: boolean; reason?: string } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      body: { spec: { resourceAttributes: { namespace: NS, verb: 'create', resource: 'configmaps' } } },
    });
    assert.deepEqual(review.status, {
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "butler-api-users" of ClusterRole "butler-api-users" to Group "butler-api-users"',
    });
  });

  test("the user's RBAC decides: list, watch and raw are impersonated too, and a 403 names the user", async () => {
    const view = admin.as(jane);
    const listed = await failure(view.list(CMS));
    assert.equal(listed.statusCode, 403);
    assert.equal(listed.opts.impersonating, 'jane@example.com');
    assert.match(listed.status?.message ?? '', /User "jane@example\.com" cannot list resource "configmaps"/);
    const mapped = toHttpError(listed, { kind: 'ConfigMap', namespace: NS, verb: 'list', resource: 'configmaps' });
    assert.equal(mapped.status, 403);
    assert.equal(mapped.message, 'jane@example.com is not allowed to list configmaps in namespace team-a');
    assert.deepEqual(mapped.toJSON(), {
      error: 'jane@example.com is not allowed to list configmaps in namespace team-a',
    });
    const watched = await failure(view.watch(CMS, {}, () => {}));
    assert.equal(watched.statusCode, 403);
    const raw = await view.raw({ method: 'DELETE', path: `${CMS}/existing` });
    raw.resume();
    assert.equal(raw.statusCode, 403);
    // the server's own client still may
    assert.ok((await admin.list(CMS)).items.length >= 2);
  });

  test("a caller's own Impersonate-* headers are never sent", async () => {
    // on the plain client: dropped, the request stays the server's (admin here)
    const own = await admin.list(CMS, {}, {});
    assert.ok(own.items.length > 0);
    const smuggled = await admin.request<{ status: { allowed: boolean } }>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      headers: { 'Impersonate-User': 'nobody', 'Impersonate-Group': 'nobody' },
      body: { spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } } },
    });
    assert.equal(smuggled.status.allowed, true, 'still the admin');
    // on a view: the view's user wins
    const view = admin.as(jane);
    const err = await failure(
      view.request({ method: 'GET', path: CMS, headers: { 'impersonate-group': 'system:masters' } }),
    );
    assert.equal(err.statusCode, 403);
  });

  test('without the impersonate grant the server answers 403, mapped to a deployment problem', async () => {
    const err = await failure(serverAccount.as(jane).request({ method: 'GET', path: `${CMS}/existing` }));
    assert.equal(err.statusCode, 403);
    assert.equal(
      err.status?.message,
      `users "jane@example.com" is forbidden: User "system:serviceaccount:${NS}:butler-server" cannot impersonate resource "users" in API group "" at the cluster scope`,
    );
    const mapped = toHttpError(err, { kind: 'ConfigMap', namespace: NS, name: 'existing', verb: 'get' });
    assert.deepEqual([mapped.status, mapped.message], [403, 'butler-server is not allowed to impersonate users']);
    // its own reads still work
    assert.equal(
      (await serverAccount.request<{ metadata: { name: string } }>({ method: 'GET', path: `${CMS}/existing` })).metadata
        .name,
      'existing',
    );
  });

  test('an admission webhook denial becomes {error: "webhook denied", reason, message, field}', async () => {
    const message =
      'admission webhook "vteam.butler.butlerlabs.dev" denied the request: spec.resourceLimits: Forbidden: only platform admins may set resource limits';
    sim.faults.failNext(1, { status: 403, reason: 'Forbidden', message, path: CMS });
    const err = await failure(admin.as(jane).request({ method: 'POST', path: CMS, body: configMap('denied') }));
    const mapped = toHttpError(err, { kind: 'ConfigMap', namespace: NS, verb: 'create' });
    assert.ok(mapped instanceof WebhookDeniedError);
    assert.ok(mapped instanceof HttpError);
    assert.equal(mapped.status, 403);
    assert.deepEqual(mapped.toJSON(), {
      error: 'webhook denied',
      reason: 'webhook-denied',
      message,
      field: 'spec.resourceLimits',
    });
    // a denial without a field path names none
    sim.faults.failNext(1, {
      status: 403,
      reason: 'Forbidden',
      message: 'admission webhook "x.example.com" denied the request without explanation',
      path: CMS,
    });
    const bare = toHttpError(await failure(admin.request({ method: 'POST', path: CMS, body: configMap('d2') })), {
      kind: 'ConfigMap',
    });
    assert.deepEqual(bare.toJSON(), {
      error: 'webhook denied',
      reason: 'webhook-denied',
      message: 'admission webhook "x.example.com" denied the request without explanation',
      field: '',
    });
    // other 403s keep the normal shape
    sim.faults.failNext(1, { status: 403, reason: 'Forbidden', message: 'configmaps is forbidden: nope', path: CMS });
    const plain = toHttpError(await failure(admin.request({ method: 'POST', path: CMS, body: configMap('d3') })), {
      kind: 'ConfigMap',
      namespace: NS,
      verb: 'create',
      resource: 'configmaps',
    });
    assert.deepEqual(plain.toJSON(), {
      error: 'butler-server is not allowed to create configmaps in namespace team-a',
    });
  });
});
