// Conformance cases for impersonation (Impersonate-User/-Group/-Uid/-Extra-*), RBAC as the impersonated user
// (User and Group subjects, system:authenticated) and SelfSubjectAccessReview. Registered by conformance.test.ts,
// so they run against the simulator and against the real kube-apiserver alike.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, ns, runId } from './fixtures.js';
import type { KubeResponse, KubeTarget } from './kube-http.js';
import type { ConformanceTarget } from './target.js';

const RBAC = '/apis/rbac.authorization.k8s.io/v1';
const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

export function impersonationSuite(getTarget: () => ConformanceTarget): void {
  const kube = () => getTarget().kube;
  const alice = `alice-${runId}`;
  const devs = `devs-${runId}`;
  const caller = `system:serviceaccount:${ns}:caller`;
  const clusterScoped: string[] = [];
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  let asCaller: KubeTarget;

  async function make(path: string, body: object): Promise<void> {
    const res = await kube().request('POST', path, { body });
    assert.equal(res.status, 201, `${path}: ${res.text}`);
  }
  /** Impersonation headers; the groups go as one Impersonate-Group line each, as kubectl sends them. */
  const as = (user: string, groups: string[] = [], extra: Record<string, string> = {}) => {
    const headers: Record<string, string | string[]> = user ? { 'Impersonate-User': user } : {};
    if (groups.length) headers['Impersonate-Group'] = groups;
    for (const [k, v] of Object.entries(extra)) headers[`Impersonate-Extra-${k}`] = v;
    return headers;
  };
  const forbiddenBody = (res: KubeResponse) => {
    assert.equal(res.status, 403, res.text);
    assert.equal(res.body.kind, 'Status');
    assert.equal(res.body.reason, 'Forbidden');
    assert.equal(res.body.code, 403);
    return res.body;
  };

  describe('impersonation', () => {
    before(async () => {
      await make(`/api/v1/namespaces/${ns}/serviceaccounts`, {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'caller' },
      });
      const tr = await kube().request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/caller/token`, {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
      });
      assert.equal(tr.status, 201, tr.text);
      assert.equal(tr.body.kind, 'TokenRequest');
      asCaller = await getTarget().connectWithToken(tr.body.status.token);
      // The caller may impersonate alice, the group devs and the extra scopes=read, nothing else.
      const impersonator = `conf-${runId}-impersonator`;
      await make(`${RBAC}/clusterroles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: impersonator },
        rules: [
          { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: [alice] },
          { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: [devs] },
          {
            apiGroups: ['authentication.k8s.io'],
            resources: ['userextras/scopes'],
            verbs: ['impersonate'],
            resourceNames: ['read'],
          },
        ],
      });
      clusterScoped.push(`${RBAC}/clusterroles/${impersonator}`);
      await make(`${RBAC}/clusterrolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: impersonator },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: impersonator },
        subjects: [{ kind: 'ServiceAccount', name: 'caller', namespace: ns }],
      });
      clusterScoped.push(`${RBAC}/clusterrolebindings/${impersonator}`);
      // devs read configmaps, alice creates them, every authenticated user reads the one called "public".
      await make(`${RBAC}/namespaces/${ns}/roles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'cm-read' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      });
      await make(`${RBAC}/namespaces/${ns}/roles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'cm-create' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create'] }],
      });
      await make(`${RBAC}/namespaces/${ns}/roles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'cm-public' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['public'] }],
      });
      const bind = (name: string, role: string, subject: object) =>
        make(`${RBAC}/namespaces/${ns}/rolebindings`, {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
          subjects: [subject],
        });
      await bind('devs-read', 'cm-read', { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: devs });
      await bind('alice-create', 'cm-create', { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: alice });
      await bind('everyone-public', 'cm-public', {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Group',
        name: 'system:authenticated',
      });
      await make(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'public' } });
    });
    after(async () => {
      asCaller?.close();
      for (const path of clusterScoped) await kube().request('DELETE', path);
    });

    test('a caller without the impersonate grant gets 403 naming the user it asked for', async () => {
      const res = await asCaller.request('GET', cms, { headers: as(`bob-${runId}`) });
      assert.deepEqual(forbiddenBody(res), {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `users "bob-${runId}" is forbidden: User "${caller}" cannot impersonate resource "users" in API group "" at the cluster scope`,
        reason: 'Forbidden',
        details: { name: `bob-${runId}`, kind: 'users' },
        code: 403,
      });
    });

    test('each group, service account and extra is authorised separately', async () => {
      const group = forbiddenBody(await asCaller.request('GET', cms, { headers: as(alice, [devs, 'admins']) }));
      assert.equal(
        group.message,
        `groups "admins" is forbidden: User "${caller}" cannot impersonate resource "groups" in API group "" at the cluster scope`,
      );
      assert.deepEqual(group.details, { name: 'admins', kind: 'groups' });
      const sa = forbiddenBody(
        await asCaller.request('GET', cms, { headers: as(`system:serviceaccount:${ns}:other`) }),
      );
      assert.equal(
        sa.message,
        `serviceaccounts "other" is forbidden: User "${caller}" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "${ns}"`,
      );
      const extra = forbiddenBody(await asCaller.request('GET', cms, { headers: as(alice, [], { Scopes: 'write' }) }));
      assert.equal(
        extra.message,
        `userextras.authentication.k8s.io "write" is forbidden: User "${caller}" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope`,
      );
      assert.deepEqual(extra.details, { name: 'write', group: 'authentication.k8s.io', kind: 'userextras' });
      const ok = await asCaller.request('GET', cms, { headers: as(alice, [devs], { Scopes: 'read' }) });
      assert.equal(ok.status, 200, ok.text);
    });

    test('groups without a user are a plain-text 500', async () => {
      const res = await asCaller.request('GET', cms, { headers: as('', [devs]) });
      assert.equal(res.status, 500);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      assert.equal(
        res.text,
        `Internal Server Error: "${cms}": requested [{Group  ${devs}    }] without impersonating a user\n`,
      );
    });

    test('RBAC decides as the impersonated user: User and Group subjects, system:authenticated added', async () => {
      // alice alone: her User binding lets her create, but she is not in devs
      const created = await asCaller.request('POST', cms, {
        headers: as(alice),
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'by-alice' } },
      });
      assert.equal(created.status, 201, created.text);
      const list = forbiddenBody(await asCaller.request('GET', cms, { headers: as(alice) }));
      assert.equal(
        list.message,
        `configmaps is forbidden: User "${alice}" cannot list resource "configmaps" in API group "" in the namespace "${ns}"`,
      );
      // system:authenticated is added to the impersonated groups
      assert.equal((await asCaller.request('GET', `${cms}/public`, { headers: as(alice) })).status, 200);
      // with devs she may list, still not delete
      assert.equal((await asCaller.request('GET', cms, { headers: as(alice, [devs]) })).status, 200);
      const del = forbiddenBody(await asCaller.request('DELETE', `${cms}/by-alice`, { headers: as(alice, [devs]) }));
      assert.equal(
        del.message,
        `configmaps "by-alice" is forbidden: User "${alice}" cannot delete resource "configmaps" in API group "" in the namespace "${ns}"`,
      );
      // system:unauthenticated asked for explicitly: system:authenticated is not added
      const unauth = await kube().request('GET', `${cms}/public`, {
        headers: as(alice, ['system:unauthenticated']),
      });
      assert.equal(unauth.status, 403, unauth.text);
      // system:masters may do anything
      assert.equal((await kube().request('GET', cms, { headers: as('anyone', ['system:masters']) })).status, 200);
    });

    test('an impersonated service account gets its own groups', async () => {
      const res = forbiddenBody(
        await kube().request('GET', '/api/v1/secrets', { headers: as(`system:serviceaccount:${ns}:caller`) }),
      );
      assert.equal(
        res.message,
        `secrets is forbidden: User "${caller}" cannot list resource "secrets" in API group "" at the cluster scope`,
      );
    });

    test('a binding to a missing role is named in the refusal', async (t) => {
      await make(`${RBAC}/namespaces/${ns}/rolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'dangling' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'missing' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `carol-${runId}` }],
      });
      t.after(() => kube().request('DELETE', `${RBAC}/namespaces/${ns}/rolebindings/dangling`));
      const expected = `configmaps "public-not" is forbidden: User "carol-${runId}" cannot get resource "configmaps" in API group "" in the namespace "${ns}": RBAC: role.rbac.authorization.k8s.io "missing" not found`;
      let last = '';
      // a real server's authorizer sees a new binding through its informer, a moment later
      await eventually('the authorizer to see the new binding', async () => {
        const res = await kube().request('GET', `${cms}/public-not`, { headers: as(`carol-${runId}`) });
        last = forbiddenBody(res).message;
        return last === expected;
      }).catch(() => assert.equal(last, expected));
    });

    test('Impersonate-Uid is authorised as impersonate on uids (Kubernetes 1.22+)', async (t) => {
      if (getTarget().minor < 22) {
        t.skip(`server ${getTarget().version} predates Impersonate-Uid (1.22): it ignores the header`);
        return;
      }
      const res = forbiddenBody(
        await asCaller.request('GET', cms, { headers: { ...as(alice), 'Impersonate-Uid': 'u-1' } }),
      );
      assert.equal(
        res.message,
        `uids.authentication.k8s.io "u-1" is forbidden: User "${caller}" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope`,
      );
    });
  });

  describe('SelfSubjectAccessReview', () => {
    const review = async (headers: Record<string, string | string[]>, spec: object) => {
      const res = await kube().request('POST', SSAR, {
        headers,
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec },
      });
      assert.equal(res.status, 201, res.text);
      // managedFields: a real server records them on every write (FINDINGS.md F15), the simulator does not
      delete res.body.metadata?.managedFields;
      return res.body;
    };

    test('answers for the impersonated user, naming the binding that allows', async () => {
      const attrs = { namespace: ns, verb: 'list', resource: 'configmaps' };
      assert.deepEqual(await review(as(alice, [devs]), { resourceAttributes: attrs }), {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: { resourceAttributes: attrs },
        status: {
          allowed: true,
          reason: `RBAC: allowed by RoleBinding "devs-read/${ns}" of Role "cm-read" to Group "${devs}"`,
        },
      });
      const denied = await review(as(alice, [devs]), {
        resourceAttributes: { namespace: ns, verb: 'delete', resource: 'configmaps', name: 'x' },
      });
      assert.deepEqual(denied.status, { allowed: false });
      const masters = await review(as('anyone', ['system:masters']), {
        resourceAttributes: { verb: 'delete', resource: 'nodes' },
      });
      assert.deepEqual(masters.status, { allowed: true });
      const path = await review(as(alice), { nonResourceAttributes: { path: '/version', verb: 'get' } });
      assert.equal(path.status.allowed, true);
      assert.deepEqual(path.spec, { nonResourceAttributes: { path: '/version', verb: 'get' } });
    });

    test('reports a binding to a missing role as the reason of a denial', async (t) => {
      await make(`${RBAC}/namespaces/${ns}/rolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'dangling-review' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'missing' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `dave-${runId}` }],
      });
      t.after(() => kube().request('DELETE', `${RBAC}/namespaces/${ns}/rolebindings/dangling-review`));
      const expected = { allowed: false, reason: 'RBAC: role.rbac.authorization.k8s.io "missing" not found' };
      let last: unknown;
      await eventually('the authorizer to see the new binding', async () => {
        last = (
          await review(as(`dave-${runId}`), { resourceAttributes: { namespace: ns, verb: 'get', resource: 'pods' } })
        ).status;
        return JSON.stringify(last) === JSON.stringify(expected);
      }).catch(() => assert.deepEqual(last, expected));
    });

    test('GET is not served', async () => {
      const res = await kube().request('GET', SSAR);
      assert.equal(res.status, 405, res.text);
      assert.equal(res.body.reason, 'MethodNotAllowed');
    });

    test('needs exactly one of resourceAttributes and nonResourceAttributes', async () => {
      const res = await kube().request('POST', SSAR, {
        body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {} },
      });
      assert.equal(res.status, 422, res.text);
      // the registry qualifies the error with the decoded object's kind, which is empty by then
      assert.deepEqual(res.body.details, {
        group: 'authorization.k8s.io',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message:
              'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
            field: 'spec.resourceAttributes',
          },
        ],
      });
      assert.equal(
        res.body.message,
        '.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      );
    });
  });
}
