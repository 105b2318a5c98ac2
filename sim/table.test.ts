// Server-side Table output (`Accept: ...;as=Table;v=v1;g=meta.k8s.io`) over raw HTTP: lists, gets, watches.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSimulator, type Simulator } from './index.js';
import { humanDuration, parseSimpleJsonPath } from './printers.js';
import { tableVersion } from './table.js';
import { request, type Reply } from './test-client.js';
import http from 'node:http';

const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const WIDGETS = '/apis/example.test/v1/namespaces/default/widgets';
const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const CRD = {
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
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'The phase' },
          { name: 'Replicas', type: 'integer', jsonPath: '.spec.workers.replicas' },
          { name: 'Labels', type: 'string', jsonPath: '.metadata.labels' },
          { name: 'Ready', type: 'boolean', jsonPath: '.status.ready', priority: 1 },
          { name: 'First', type: 'string', jsonPath: ".spec.items[0]['a.b']" },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  workers: { type: 'object', properties: { replicas: { type: 'integer' } } },
                  items: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                },
              },
              status: {
                type: 'object',
                properties: { phase: { type: 'string' }, ready: { type: 'boolean' } },
              },
            },
          },
        },
      },
    ],
  },
};

let sim: Simulator;
const get = (path: string, accept = KUBECTL_ACCEPT): Promise<Reply> =>
  request(sim.url, sim.token, 'GET', path, undefined, 'application/json', { Accept: accept });

before(async () => {
  sim = await startSimulator({
    crds: [CRD],
    seed: [
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'edge' } },
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          nodeInfo: { kubeletVersion: 'v1.31.0', osImage: 'Debian' },
          addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n2' },
        status: { conditions: [{ type: 'Ready', status: 'False' }] },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'x' },
          ],
          nodeName: 'n1',
        },
        status: {
          phase: 'Running',
          podIP: '10.1.0.5',
          containerStatuses: [
            { name: 'a', ready: true, restartCount: 2, state: { running: {} } },
            { name: 'b', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e1', namespace: 'default' },
        involvedObject: { kind: 'Pod', name: 'web' },
        reason: 'BackOff',
        type: 'Warning',
        message: ' restarting ',
        count: 3,
        firstTimestamp: ago(600_000),
        lastTimestamp: ago(90_000),
        source: { component: 'kubelet', host: 'n1' },
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1', b: '2' } },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'default' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' },
      },
      {
        apiVersion: 'example.test/v1',
        kind: 'Widget',
        metadata: { name: 'w1', namespace: 'default', labels: { z: '1', a: '2' } },
        spec: { workers: { replicas: 3 }, items: [{ 'a.b': 'dotted' }] },
        status: { phase: 'Ready', ready: true },
      },
      { apiVersion: 'example.test/v1', kind: 'Widget', metadata: { name: 'w2', namespace: 'default' } },
    ],
  });
});

after(async () => {
  await sim?.stop();
});

const names = (t: any) => t.columnDefinitions.map((c: any) => c.name);

describe('Table negotiation', () => {
  test('the first acceptable media range decides', () => {
    assert.equal(tableVersion(KUBECTL_ACCEPT), 'v1');
    assert.equal(tableVersion('application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json'), 'v1beta1');
    assert.equal(tableVersion('application/json'), undefined);
    assert.equal(tableVersion('application/json, application/json;as=Table;v=v1;g=meta.k8s.io'), undefined);
    assert.equal(tableVersion('application/json;as=Table;v=v9;g=meta.k8s.io,application/json'), undefined);
  });

  test('plain JSON clients still get the list', async () => {
    const r = await get('/api/v1/nodes', 'application/json');
    assert.equal(r.body.kind, 'NodeList');
  });
});

describe('built-in printers', () => {
  test('nodes: Name, Status, Roles, Age, Version (+ wide columns at priority 1)', async () => {
    const r = await get('/api/v1/nodes');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.kind, 'Table');
    assert.equal(r.body.apiVersion, 'meta.k8s.io/v1');
    assert.match(r.body.metadata.resourceVersion, /^\d+$/);
    assert.deepEqual(names(r.body).slice(0, 5), ['Name', 'Status', 'Roles', 'Age', 'Version']);
    assert.deepEqual(
      r.body.columnDefinitions.map((c: any) => c.priority),
      [0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
    );
    assert.deepEqual(r.body.columnDefinitions[0], { ...r.body.columnDefinitions[0], type: 'string', format: 'name' });
    const [n1, n2] = r.body.rows;
    assert.deepEqual(n1.cells.slice(0, 3), ['n1', 'Ready,SchedulingDisabled', 'control-plane,edge']);
    assert.match(n1.cells[3], /^\d+s$/);
    assert.deepEqual(n1.cells.slice(4), ['v1.31.0', '10.0.0.1', '<none>', 'Debian', '<unknown>', '<unknown>']);
    assert.deepEqual(n2.cells.slice(0, 3), ['n2', 'NotReady', '<none>']);
    assert.equal(n1.object.kind, 'PartialObjectMetadata');
    assert.equal(n1.object.apiVersion, 'meta.k8s.io/v1');
    assert.equal(n1.object.metadata.name, 'n1');
    assert.equal(n1.object.status, undefined, 'metadata only by default');
  });

  test('pods: Ready, Status from container states, Restarts', async () => {
    const r = await get('/api/v1/namespaces/default/pods');
    assert.deepEqual(names(r.body).slice(0, 5), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    const cells = r.body.rows[0].cells;
    assert.deepEqual(cells.slice(0, 4), ['web', '1/2', 'CrashLoopBackOff', '3']);
    assert.deepEqual(cells.slice(5), ['10.1.0.5', 'n1', '<none>', '<none>']);
  });

  test('events: Last Seen, Type, Reason, Object, Message', async () => {
    const r = await get('/api/v1/namespaces/default/events');
    assert.deepEqual(
      r.body.columnDefinitions.filter((c: any) => c.priority === 0).map((c: any) => c.name),
      ['Last Seen', 'Type', 'Reason', 'Object', 'Message'],
    );
    const cells = r.body.rows[0].cells;
    assert.match(cells[0], /^9\ds$/);
    assert.deepEqual(cells.slice(1), [
      'Warning',
      'BackOff',
      'pod/web',
      '',
      'kubelet, n1',
      'restarting',
      '10m',
      3,
      'e1',
    ]);
  });

  test('namespaces, configmaps, secrets, and the default convertor for CRDs', async () => {
    const ns = await get('/api/v1/namespaces/default');
    assert.deepEqual(names(ns.body), ['Name', 'Status', 'Age']);
    assert.deepEqual(ns.body.rows[0].cells.slice(0, 2), ['default', 'Active']);
    const cm = await get('/api/v1/namespaces/default/configmaps/c');
    assert.deepEqual(names(cm.body), ['Name', 'Data', 'Age']);
    assert.deepEqual(cm.body.rows[0].cells.slice(0, 2), ['c', 2]);
    const sec = await get('/api/v1/namespaces/default/secrets');
    assert.deepEqual(names(sec.body), ['Name', 'Type', 'Data', 'Age']);
    assert.deepEqual(sec.body.rows[0].cells.slice(0, 3), ['s', 'kubernetes.io/tls', 2]);
    const crd = await get('/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
    assert.deepEqual(names(crd.body), ['Name', 'Created At']);
    assert.match(crd.body.rows[0].cells[1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe('custom resources', () => {
  test('additionalPrinterColumns evaluated as JSONPath, typed cells, date as age', async () => {
    const r = await get(WIDGETS);
    assert.deepEqual(names(r.body), ['Name', 'Phase', 'Replicas', 'Labels', 'Ready', 'First', 'Age']);
    assert.equal(r.body.columnDefinitions[1].description, 'The phase');
    assert.equal(
      r.body.columnDefinitions[2].description,
      'Custom resource definition column (in JSONPath format): .spec.workers.replicas',
    );
    assert.equal(r.body.columnDefinitions[4].priority, 1);
    assert.equal(r.body.columnDefinitions[6].type, 'date');
    const [w1, w2] = r.body.rows;
    assert.deepEqual(w1.cells.slice(0, 6), ['w1', 'Ready', 3, '{"a":"2","z":"1"}', true, 'dotted']);
    assert.match(w1.cells[6], /^\d+s$/);
    assert.deepEqual(w2.cells.slice(0, 6), ['w2', null, null, null, null, null]);
  });

  test('includeObject=Object carries the object, None carries null, others are 400', async () => {
    const full = await get(`${WIDGETS}?includeObject=Object`);
    assert.equal(full.body.rows[0].object.kind, 'Widget');
    assert.equal(full.body.rows[0].object.spec.workers.replicas, 3);
    const none = await get(`${WIDGETS}?includeObject=None`);
    assert.equal(none.body.rows[0].object, null);
    const bad = await get(`${WIDGETS}?includeObject=All`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.message, 'unrecognized includeObject value: "All"');
  });

  test('paging metadata is carried into the Table', async () => {
    const r = await get(`${WIDGETS}?limit=1`);
    assert.equal(r.body.rows.length, 1);
    assert.ok(r.body.metadata.continue);
    assert.equal(r.body.metadata.remainingItemCount, 1);
    const v1beta1 = await get(WIDGETS, 'application/json;as=Table;v=v1beta1;g=meta.k8s.io');
    assert.equal(v1beta1.body.apiVersion, 'meta.k8s.io/v1beta1');
    assert.equal(v1beta1.body.rows[0].object.apiVersion, 'meta.k8s.io/v1beta1');
  });
});

test('a Table watch sends one-row Tables, column definitions only in the first event', async () => {
  const events: any[] = [];
  const req = http.request(new URL(`${WIDGETS}?watch=1`, sim.url), {
    headers: { Authorization: `Bearer ${sim.token}`, Accept: KUBECTL_ACCEPT },
  });
  const done = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
        if (events.length >= 3) resolve();
      });
    });
    req.on('error', reject);
    setTimeout(() => reject(new Error(`only ${events.length} events`)), 5000).unref();
  });
  req.end();
  let patchedRv = '';
  try {
    await new Promise((r) => setTimeout(r, 100));
    const patch = await request(
      sim.url,
      sim.token,
      'PATCH',
      `${WIDGETS}/w2`,
      { spec: { workers: { replicas: 7 } } },
      'application/merge-patch+json',
    );
    assert.equal(patch.status, 200, patch.text);
    patchedRv = patch.body.metadata.resourceVersion;
    await done;
  } finally {
    req.destroy();
  }
  assert.deepEqual(
    events.map((e) => e.type),
    ['ADDED', 'ADDED', 'MODIFIED'],
  );
  for (const e of events) {
    assert.equal(e.object.kind, 'Table');
    assert.equal(e.object.rows.length, 1);
    assert.equal(e.object.rows[0].object.kind, 'PartialObjectMetadata');
  }
  assert.equal(events[0].object.columnDefinitions.length, 7);
  assert.equal(events[1].object.columnDefinitions, null);
  assert.deepEqual(events[2].object.rows[0].cells.slice(0, 3), ['w2', null, 7]);
  assert.equal(events[2].object.metadata.resourceVersion, patchedRv);
  assert.equal(events[2].object.rows[0].object.metadata.resourceVersion, patchedRv);
});

test('humanDuration and simple JSONPath parsing follow the Go implementations', () => {
  const s = 1000;
  assert.equal(humanDuration(-5 * s), '<invalid>');
  assert.equal(humanDuration(-1 * s), '0s');
  assert.equal(humanDuration(119 * s), '119s');
  assert.equal(humanDuration(125 * s), '2m5s');
  assert.equal(humanDuration(600 * s), '10m');
  assert.equal(humanDuration(3 * 3600 * s + 5 * 60 * s), '3h5m');
  assert.equal(humanDuration(30 * 3600 * s), '30h');
  assert.equal(humanDuration(3 * 86400 * s + 3600 * s), '3d1h');
  assert.equal(humanDuration(100 * 86400 * s), '100d');
  assert.equal(humanDuration(3 * 365 * 86400 * s + 86400 * s), '3y1d');
  assert.deepEqual(parseSimpleJsonPath('.status.phase'), ['status', 'phase']);
  assert.deepEqual(parseSimpleJsonPath(".metadata.labels['app.kubernetes.io/name']"), [
    'metadata',
    'labels',
    'app.kubernetes.io/name',
  ]);
  assert.deepEqual(parseSimpleJsonPath('.a\\.b[2]'), ['a.b', 2]);
  assert.equal(parseSimpleJsonPath('.items[*].name'), undefined);
});
