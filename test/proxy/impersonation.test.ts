// The Kubernetes API proxy to the management cluster impersonates the requesting user (services.impersonationFor),
// so the management cluster's RBAC limits what kubectl through butler-server may do; tenant clusters are not affected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { userImpersonation } from '../../src/kube/impersonation.js';
import { json, MGMT_PREFIX, pod, request, startProxyEnv, TENANT_PREFIX, type ProxyEnv } from './fixture.js';

const RBAC = 'rbac.authorization.k8s.io';
const TC = '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters';

describe('kubernetes API proxy: the management cluster sees the user', () => {
  let env: ProxyEnv;
  let bearer: Record<string, string>;
  before(async () => {
    env = await startProxyEnv({
      impersonationFor: () => userImpersonation('Jane@Example.com'),
      mgmtSeed: [
        pod('butler-tenants', 'shell'),
        {
          apiVersion: `${RBAC}/v1`,
          kind: 'ClusterRole',
          metadata: { name: 'butler-api-users' },
          rules: [{ apiGroups: ['butler.butlerlabs.dev'], resources: ['tenantclusters'], verbs: ['get', 'list'] }],
        },
        {
          apiVersion: `${RBAC}/v1`,
          kind: 'ClusterRoleBinding',
          metadata: { name: 'butler-api-users' },
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'butler-api-users' },
          subjects: [{ apiGroup: RBAC, kind: 'Group', name: 'butler-api-users' }],
        },
      ],
    });
    bearer = { authorization: `Bearer ${env.token}` };
  });
  after(() => env?.close());

  it("answers within the user's RBAC there: allowed reads pass, the rest is the cluster's 403 for that user", async () => {
    const list = await request(env.url, `${MGMT_PREFIX}${TC}`, { headers: bearer });
    assert.equal(list.status, 200, list.text);
    assert.equal(json(list).items[0].metadata.name, 'dev');
    const secrets = await request(env.url, `${MGMT_PREFIX}/api/v1/secrets`, { headers: bearer });
    assert.equal(secrets.status, 403);
    assert.equal(
      json(secrets).message,
      'secrets is forbidden: User "jane@example.com" cannot list resource "secrets" in API group "" at the cluster scope',
    );
    const del = await request(env.url, `${MGMT_PREFIX}${TC}/dev`, { method: 'DELETE', headers: bearer });
    assert.equal(del.status, 403);
    assert.match(json(del).message, /User "jane@example\.com" cannot delete resource "tenantclusters"/);
  });

  it('asks the cluster as the user: SelfSubjectAccessReview and headers the caller sent itself', async () => {
    const review = await request(env.url, `${MGMT_PREFIX}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: 'POST',
      // a caller's own impersonation headers are dropped, whatever it asks for
      headers: { ...bearer, 'content-type': 'application/json', 'impersonate-group': 'system:masters' },
      body: JSON.stringify({ spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } } }),
    });
    assert.equal(review.status, 201, review.text);
    assert.deepEqual(json(review).status, { allowed: false });
    env.mgmt.recordRequests(true);
    try {
      await request(env.url, `${MGMT_PREFIX}${TC}/dev`, { headers: { ...bearer, 'impersonate-user': 'admin' } });
      const sent = env.mgmt.requests.find((r) => r.path === `${TC}/dev`)!;
      assert.equal(sent.headers['impersonate-user'], 'jane@example.com');
      assert.equal(sent.headers['impersonate-group'], 'butler-api-users, system:authenticated');
    } finally {
      env.mgmt.recordRequests(false);
    }
  });

  it('upgrades (exec) are impersonated too', async () => {
    const path = `${MGMT_PREFIX}/api/v1/namespaces/butler-tenants/pods/shell/exec?command=true&stdout=true`;
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${env.url.replace(/^http/, 'ws')}${path}`, ['v5.channel.k8s.io'], { headers: bearer });
      ws.on('open', () => {
        ws.terminate();
        resolve({ status: 101, body: '' });
      });
      ws.on('unexpected-response', (_req, r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      ws.on('error', reject);
    });
    assert.equal(res.status, 403);
    assert.match(JSON.parse(res.body).message, /User "jane@example\.com" cannot get resource "pods\/exec"/);
  });

  it('tenant clusters are reached with their own credentials, not impersonated', async () => {
    env.tenant.recordRequests(true);
    try {
      const nodes = await request(env.url, `${TENANT_PREFIX}/api/v1/nodes`, { headers: bearer });
      assert.equal(nodes.status, 200, nodes.text);
      const sent = env.tenant.requests.find((r) => r.path.startsWith('/api/v1/nodes'))!;
      assert.equal(sent.headers['impersonate-user'], undefined);
    } finally {
      env.tenant.recordRequests(false);
    }
  });
});
