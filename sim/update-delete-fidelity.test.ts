// Custom resources refuse unconditional updates (422 on metadata.resourceVersion), and a delete held by
// finalizers bumps metadata.generation, as kube-apiserver's registry does (conformance/FINDINGS.md F1, F2).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from './index.js';
import { request } from './test-client.js';

const W = '/apis/example.test/v1/namespaces/default/widgets';
let sim: Simulator;
const call = (method: string, path: string, body?: unknown, type?: string) =>
  request(sim.url, sim.token, method, path, body, type);
const widget = (name: string, extra: object = {}) => ({
  apiVersion: 'example.test/v1',
  kind: 'Widget',
  metadata: { name, ...extra },
  spec: { size: 1 },
});

before(async () => {
  sim = await startSimulator({
    crds: [
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.test' },
        spec: {
          group: 'example.test',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
                },
              },
            },
          ],
        },
      },
    ],
  });
});

after(async () => {
  await sim?.stop();
});

test('a custom resource PUT without resourceVersion is 422; with it, or for a configmap, it updates', async () => {
  const created = await call('POST', W, widget('w'));
  assert.equal(created.status, 201, created.text);
  const missing = await call('PUT', `${W}/nope`, widget('nope'));
  assert.equal(missing.status, 404, 'NotFound comes before the resourceVersion check');
  const res = await call('PUT', `${W}/w`, { ...widget('w'), spec: { size: 2 } });
  assert.equal(res.status, 422, res.text);
  assert.equal(res.body.reason, 'Invalid');
  assert.equal(
    res.body.message,
    'widgets.example.test "w" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
  );
  assert.deepEqual(res.body.details, {
    name: 'w',
    group: 'example.test',
    kind: 'widgets',
    causes: [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0x0: must be specified for an update',
        field: 'metadata.resourceVersion',
      },
    ],
  });
  const ok = await call('PUT', `${W}/w`, { ...created.body, spec: { size: 2 } });
  assert.equal(ok.status, 200, ok.text);
  const patched = await call('PATCH', `${W}/w`, { spec: { size: 3 } }, 'application/merge-patch+json');
  assert.equal(patched.status, 200, 'patches need no resourceVersion');
  await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' } });
  const cm = await call('PUT', '/api/v1/namespaces/default/configmaps/cm', {
    metadata: { name: 'cm' },
    data: { a: 'b' },
  });
  assert.equal(cm.status, 200, cm.text);
});

test('deleting an object held by a finalizer bumps its generation once', async () => {
  const created = await call('POST', W, widget('fin', { finalizers: ['example.test/hold'] }));
  assert.equal(created.body.metadata.generation, 1);
  const del = await call('DELETE', `${W}/fin`);
  assert.equal(del.status, 200, del.text);
  assert.ok(del.body.metadata.deletionTimestamp);
  assert.equal(del.body.metadata.generation, 2);
  const again = await call('DELETE', `${W}/fin`);
  assert.equal(again.body.metadata.generation, 2, 'a second delete changes nothing');
  const ns = await call('POST', '/api/v1/namespaces', { metadata: { name: 'gone' } });
  assert.equal(ns.status, 201);
  const nsDel = await call('DELETE', '/api/v1/namespaces/gone');
  assert.equal(nsDel.body.metadata.generation, undefined, 'objects without generation get none');
  const rm = await call('PATCH', `${W}/fin`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
  assert.equal(rm.status, 200, rm.text);
  assert.equal((await call('GET', `${W}/fin`)).status, 404);
});
