// The audit log: every resource request with the caller, the impersonated user (when the request impersonated
// someone) and the answer's status code, as kube-apiserver's audit events at level Metadata record them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from './index.js';
import { request } from './test-client.js';

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } }] });
});
after(() => sim?.stop());

test('records the caller, whom it impersonated, the object and the status code', async () => {
  const cms = '/api/v1/namespaces/app/configmaps';
  const own = await request(sim.url, sim.token, 'POST', cms, { metadata: { name: 'mine' } });
  assert.equal(own.status, 201);
  const asJane = { 'Impersonate-User': 'jane@example.com', 'Impersonate-Group': 'team-x' };
  const denied = await request(sim.url, sim.token, 'DELETE', `${cms}/mine`, undefined, 'application/json', asJane);
  assert.equal(denied.status, 403);
  const [create, del] = sim.audit.slice(-2);
  assert.deepEqual(create, {
    verb: 'create',
    requestURI: cms,
    user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    objectRef: { apiGroup: '', resource: 'configmaps', namespace: 'app' },
    responseStatus: { code: 201 },
  });
  assert.deepEqual(del, {
    verb: 'delete',
    requestURI: `${cms}/mine`,
    user: { username: 'admin', groups: ['system:masters', 'system:authenticated'] },
    impersonatedUser: { username: 'jane@example.com', groups: ['team-x', 'system:authenticated'] },
    objectRef: { apiGroup: '', resource: 'configmaps', namespace: 'app', name: 'mine' },
    responseStatus: { code: 403 },
  });
});
