// HTTP-level behaviour of the simulator: shapes of Status errors, lists, watches, and object semantics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startSimulator, type Simulator } from './index.js';
import { request, watch } from './test-client.js';

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.test' },
  spec: {
    group: 'example.test',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer' } } },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

let sim: Simulator;
const call = (method: string, path: string, body?: unknown, ct?: string, headers?: Record<string, string>) =>
  request(sim.url, sim.token, method, path, body, ct, headers);
const W = '/apis/example.test/v1/namespaces/default/widgets';

before(async () => {
  sim = await startSimulator({ crds: [CRD], bookmarkIntervalMs: 100, historySize: 50 });
});
after(async () => {
  await sim.stop();
});

describe('authentication and discovery', () => {
  test('requests without the bearer token get a 401 Status', async () => {
    for (const token of [undefined, 'wrong']) {
      const r = await request(sim.url, token, 'GET', '/api/v1/namespaces');
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
  });

  test('version and discovery documents', async () => {
    assert.match((await call('GET', '/version')).body.gitVersion, /^v1\.\d+\.\d+$/);
    const api = await call('GET', '/api');
    assert.equal(api.body.kind, 'APIVersions');
    assert.deepEqual(api.body.versions, ['v1']);
    const core = (await call('GET', '/api/v1')).body;
    assert.equal(core.kind, 'APIResourceList');
    const pods = core.resources.find((r: any) => r.name === 'pods');
    assert.deepEqual(pods.shortNames, ['po']);
    assert.equal(pods.namespaced, true);
    assert.ok(pods.verbs.includes('watch'));
    assert.ok(core.resources.some((r: any) => r.name === 'pods/exec' && r.kind === 'PodExecOptions'));
    assert.ok(core.resources.some((r: any) => r.name === 'pods/log'));
    const groups = (await call('GET', '/apis')).body;
    assert.equal(groups.kind, 'APIGroupList');
    const ex = groups.groups.find((g: any) => g.name === 'example.test');
    assert.deepEqual(ex.preferredVersion, { groupVersion: 'example.test/v1', version: 'v1' });
    const gv = (await call('GET', '/apis/example.test/v1')).body;
    assert.deepEqual(
      gv.resources.map((r: any) => r.name),
      ['widgets', 'widgets/status'],
    );
    const agg = await call('GET', '/apis', undefined, undefined, {
      Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
    });
    assert.match(String(agg.headers['content-type']), /as=APIGroupDiscoveryList/);
    assert.equal(agg.body.kind, 'APIGroupDiscoveryList');
  });

  test('unknown resources and paths answer 404 like a real server', async () => {
    const r = await call('GET', '/apis/nope.example/v1/things');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });
    const crd = (await call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.test'))
      .body;
    assert.deepEqual(
      crd.status.conditions.map((c: any) => [c.type, c.status]),
      [
        ['NamesAccepted', 'True'],
        ['Established', 'True'],
      ],
    );
    assert.equal(crd.status.acceptedNames.kind, 'Widget');
  });
});

describe('object semantics', () => {
  test('create, get, update, conflict, already exists, not found', async () => {
    const c = await call('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'c1' },
      data: { a: '1' },
    });
    assert.equal(c.status, 201);
    assert.equal(c.body.kind, 'ConfigMap');
    assert.match(c.body.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(c.body.metadata.resourceVersion, /^\d+$/);
    assert.match(c.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const dup = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'c1' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'configmaps "c1" already exists');
    assert.deepEqual(dup.body.details, { name: 'c1', kind: 'configmaps' });
    const upd = await call('PUT', '/api/v1/namespaces/default/configmaps/c1', { ...c.body, data: { a: '2' } });
    assert.equal(upd.status, 200);
    assert.ok(Number(upd.body.metadata.resourceVersion) > Number(c.body.metadata.resourceVersion));
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/c1', { ...c.body, data: { a: '3' } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.equal(
      stale.body.message,
      'Operation cannot be fulfilled on configmaps "c1": the object has been modified; please apply your changes to the latest version and try again',
    );
    const unconditional = await call('PUT', '/api/v1/namespaces/default/configmaps/c1', {
      metadata: { name: 'c1' },
      data: { a: '4' },
    });
    assert.equal(unconditional.status, 200);
    assert.equal(unconditional.body.metadata.uid, c.body.metadata.uid);
    const nf = await call('GET', '/api/v1/namespaces/default/configmaps/missing');
    assert.equal(nf.status, 404);
    assert.equal(nf.body.message, 'configmaps "missing" not found');
    const del = await call('DELETE', '/api/v1/namespaces/default/configmaps/c1');
    assert.equal(del.body.kind, 'Status');
    assert.equal(del.body.status, 'Success');
    assert.deepEqual(del.body.details, { name: 'c1', kind: 'configmaps', uid: c.body.metadata.uid });
  });

  test('validation errors, missing namespaces, bad bodies and media types', async () => {
    const bad = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'Bad_Name' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.reason, 'Invalid');
    assert.match(
      bad.body.message,
      /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    assert.equal(bad.body.details.causes[0].field, 'metadata.name');
    assert.equal(bad.body.details.causes[0].reason, 'FieldValueInvalid');
    const noName = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: {} });
    assert.equal(noName.status, 422);
    assert.match(noName.body.message, /name or generateName is required/);
    const gen = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
    assert.match(gen.body.metadata.name, /^gen-[a-z0-9]{5}$/);
    const noNs = await call('POST', '/api/v1/namespaces/nowhere/configmaps', { metadata: { name: 'x' } });
    assert.equal(noNs.status, 404);
    assert.equal(noNs.body.message, 'namespaces "nowhere" not found');
    const malformed = await call('POST', '/api/v1/namespaces/default/configmaps', '{not json');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.reason, 'BadRequest');
    const mediaType = await call('PATCH', `${W}/x`, {}, 'text/plain');
    assert.equal(mediaType.status, 415);
    assert.equal(mediaType.body.reason, 'UnsupportedMediaType');
    await call('POST', W, {
      apiVersion: 'example.test/v1',
      kind: 'Widget',
      metadata: { name: 'smp' },
      spec: { size: 1 },
    });
    const smp = await call('PATCH', `${W}/smp`, { spec: { size: 2 } }, 'application/strategic-merge-patch+json');
    assert.equal(smp.status, 415);
    assert.match(
      smp.body.message,
      /accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml/,
    );
    const method = await call('PUT', '/api/v1/namespaces/default/configmaps', {});
    assert.equal(method.status, 405);
    assert.equal(method.body.reason, 'MethodNotAllowed');
    const wrongVersion = await call('POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v2',
      kind: 'ConfigMap',
      metadata: { name: 'v' },
    });
    assert.equal(wrongVersion.status, 400);
    const ok = await call('GET', '/version');
    assert.equal(ok.status, 200, 'the server survives bad requests');
  });

  test('secrets encode stringData; dry run stores nothing', async () => {
    const s = await call('POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 's1' },
      stringData: { k: 'v' },
      data: { a: 'YQ==' },
    });
    assert.equal(s.status, 201);
    assert.deepEqual(s.body.data, { a: 'YQ==', k: 'dg==' });
    assert.equal(s.body.stringData, undefined);
    assert.equal(s.body.type, 'Opaque');
    const dry = await call('POST', '/api/v1/namespaces/default/secrets?dryRun=All', { metadata: { name: 's2' } });
    assert.equal(dry.status, 201);
    assert.equal(dry.body.metadata.resourceVersion, undefined);
    assert.equal((await call('GET', '/api/v1/namespaces/default/secrets/s2')).status, 404);
  });

  test('custom resources: generation, status subresource, unknown fields, patches', async () => {
    const c = await call('POST', W, {
      apiVersion: 'example.test/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 1 },
      status: { phase: 'x' },
    });
    assert.equal(c.status, 201);
    assert.equal(c.body.metadata.generation, 1);
    assert.equal(c.body.status, undefined, 'create ignores status when the status subresource is on');
    const st = await call(
      'PATCH',
      `${W}/w1/status`,
      { status: { phase: 'Ready' }, spec: { size: 9 } },
      'application/merge-patch+json',
    );
    assert.equal(st.status, 200);
    assert.equal(st.body.status.phase, 'Ready');
    assert.equal(st.body.spec.size, 1, 'the status subresource changes only status');
    assert.equal(st.body.metadata.generation, 1);
    const main = await call(
      'PATCH',
      W + '/w1',
      { status: { phase: 'Nope' }, spec: { size: 2 } },
      'application/merge-patch+json',
    );
    assert.equal(main.body.status.phase, 'Ready', 'the main resource ignores status');
    assert.equal(main.body.metadata.generation, 2);
    const labels = await call(
      'PATCH',
      W + '/w1',
      [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }],
      'application/json-patch+json',
    );
    assert.equal(labels.body.metadata.generation, 2, 'metadata changes do not bump generation');
    const same = await call('PATCH', W + '/w1', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    assert.equal(
      same.body.metadata.resourceVersion,
      labels.body.metadata.resourceVersion,
      'a no-op write keeps the resourceVersion',
    );
    const strict = await call(
      'PATCH',
      W + '/w1?fieldValidation=Strict',
      { spec: { bogus: 1 } },
      'application/merge-patch+json',
    );
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'strict decoding error: unknown field "spec.bogus"', 'a patch has no prefix');
    const strictPut = await call('PUT', W + '/w1?fieldValidation=Strict', {
      ...same.body,
      spec: { ...same.body.spec, bogus: 1 },
    });
    assert.equal(strictPut.status, 400);
    assert.equal(strictPut.body.reason, 'BadRequest');
    assert.equal(
      strictPut.body.message,
      'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.bogus"',
    );
    const warn = await call('PATCH', W + '/w1', { spec: { bogus: 1 } }, 'application/merge-patch+json');
    assert.equal(warn.status, 200);
    assert.equal(warn.headers.warning, '299 - "unknown field \\"spec.bogus\\""');
    assert.equal(warn.body.spec.bogus, undefined);
  });

  test('finalizers keep a deleted object until the last one is removed', async () => {
    await call('POST', W, {
      apiVersion: 'example.test/v1',
      kind: 'Widget',
      metadata: { name: 'fin', finalizers: ['a/b'] },
      spec: { size: 1 },
    });
    const w = await watch(sim.url, sim.token, `${W}?watch=1&fieldSelector=metadata.name%3Dfin`);
    await w.waitFor(1);
    const del = await call('DELETE', `${W}/fin`);
    assert.equal(del.status, 200);
    assert.ok(del.body.metadata.deletionTimestamp);
    assert.equal(del.body.metadata.deletionGracePeriodSeconds, 0);
    await w.waitFor(2);
    assert.equal(w.events[1].type, 'MODIFIED');
    const add = await call(
      'PATCH',
      `${W}/fin`,
      { metadata: { finalizers: ['a/b', 'c/d'] } },
      'application/merge-patch+json',
    );
    assert.equal(add.status, 422);
    const rm = await call('PATCH', `${W}/fin`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(rm.status, 200);
    await w.waitFor(3);
    assert.equal(w.events[2].type, 'DELETED');
    assert.equal((await call('GET', `${W}/fin`)).status, 404);
    w.close();
  });

  test('deleting a namespace removes its objects', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await call('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'a' } });
    await call('POST', '/apis/example.test/v1/namespaces/doomed/widgets', {
      apiVersion: 'example.test/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
    });
    const del = await call('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(del.status, 200);
    assert.equal(del.body.kind, 'Namespace');
    assert.equal((await call('GET', '/api/v1/namespaces/doomed')).status, 404);
    assert.equal((await call('GET', '/api/v1/namespaces/doomed/configmaps')).body.items.length, 0);
    assert.equal((await call('DELETE', '/api/v1/namespaces/default')).status, 403);
  });
});

describe('lists', () => {
  test('label and field selectors, pagination, expired continue', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'lists' } });
    for (let i = 0; i < 7; i++) {
      await call('POST', '/api/v1/namespaces/lists/pods', {
        metadata: { name: `p${i}`, labels: { tier: i % 2 ? 'odd' : 'even', ...(i === 0 ? { special: 'yes' } : {}) } },
        spec: { nodeName: i < 3 ? 'n1' : 'n2', containers: [{ name: 'c', image: 'busybox' }] },
      });
    }
    const names = async (q: string) =>
      (await call('GET', `/api/v1/namespaces/lists/pods?${q}`)).body.items.map((p: any) => p.metadata.name);
    assert.deepEqual(await names('labelSelector=tier%3Dodd'), ['p1', 'p3', 'p5']);
    assert.deepEqual(await names('labelSelector=tier%20in%20(odd),tier!%3Dx'), ['p1', 'p3', 'p5']);
    assert.deepEqual(await names('labelSelector=special'), ['p0']);
    assert.deepEqual(await names('labelSelector=!special,tier%20notin%20(odd)'), ['p2', 'p4', 'p6']);
    assert.deepEqual(await names('fieldSelector=spec.nodeName%3Dn1'), ['p0', 'p1', 'p2']);
    assert.deepEqual(await names('fieldSelector=status.phase%3DPending,metadata.name!%3Dp0'), [
      'p1',
      'p2',
      'p3',
      'p4',
      'p5',
      'p6',
    ]);
    const unsupported = await call('GET', '/api/v1/namespaces/lists/pods?fieldSelector=spec.bogus%3Dx');
    assert.equal(unsupported.status, 400);
    const list = (await call('GET', '/api/v1/namespaces/lists/pods')).body;
    assert.equal(list.kind, 'PodList');
    assert.equal(list.items[0].kind, undefined, 'typed lists carry no per-item kind');
    const page1 = (await call('GET', '/api/v1/namespaces/lists/pods?limit=3')).body;
    assert.equal(page1.items.length, 3);
    assert.equal(page1.metadata.remainingItemCount, 4);
    assert.ok(page1.metadata.continue);
    const page2 = (
      await call('GET', `/api/v1/namespaces/lists/pods?limit=3&continue=${encodeURIComponent(page1.metadata.continue)}`)
    ).body;
    assert.deepEqual(
      page2.items.map((p: any) => p.metadata.name),
      ['p3', 'p4', 'p5'],
    );
    assert.equal(page2.metadata.resourceVersion, page1.metadata.resourceVersion);
    const page3 = (
      await call('GET', `/api/v1/namespaces/lists/pods?limit=3&continue=${encodeURIComponent(page2.metadata.continue)}`)
    ).body;
    assert.deepEqual(
      page3.items.map((p: any) => p.metadata.name),
      ['p6'],
    );
    assert.equal(page3.metadata.continue, undefined);
    await call('POST', '/api/v1/namespaces/lists/configmaps', { metadata: { name: 'later' } });
    sim.faults.compact();
    const gone = await call(
      'GET',
      `/api/v1/namespaces/lists/pods?limit=3&continue=${encodeURIComponent(page1.metadata.continue)}`,
    );
    assert.equal(gone.status, 410);
    assert.equal(gone.body.reason, 'Expired');
    const all = (await call('GET', '/api/v1/pods')).body;
    assert.ok(all.items.length >= 7);
  });

  test('events field selectors', async () => {
    await call('POST', '/api/v1/namespaces/default/events', {
      metadata: { name: 'e1' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
      type: 'Warning',
      reason: 'Failed',
    });
    await call('POST', '/api/v1/namespaces/default/events', {
      metadata: { name: 'e2' },
      involvedObject: { kind: 'Node', name: 'n' },
      type: 'Normal',
      reason: 'Ok',
    });
    const q =
      'fieldSelector=' + encodeURIComponent('involvedObject.kind=Pod,involvedObject.name=p,type=Warning,reason=Failed');
    const r = (await call('GET', `/api/v1/namespaces/default/events?${q}`)).body;
    assert.deepEqual(
      r.items.map((e: any) => e.metadata.name),
      ['e1'],
    );
  });
});

describe('watch', () => {
  test('initial ADDED events, live changes, resume and 410 Expired', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'wt' } });
    const a = await call('POST', '/api/v1/namespaces/wt/configmaps', { metadata: { name: 'a' } });
    const w = await watch(sim.url, sim.token, '/api/v1/namespaces/wt/configmaps?watch=1');
    assert.equal(w.status, 200);
    assert.equal(w.headers['transfer-encoding'], 'chunked');
    await w.waitFor(1);
    assert.equal(w.events[0].type, 'ADDED');
    assert.equal(w.events[0].object.kind, 'ConfigMap');
    const b = await call('POST', '/api/v1/namespaces/wt/configmaps', { metadata: { name: 'b' } });
    await call('PATCH', '/api/v1/namespaces/wt/configmaps/b', { data: { x: 'y' } }, 'application/merge-patch+json');
    await call('DELETE', '/api/v1/namespaces/wt/configmaps/b');
    const evs = await w.waitFor(4);
    assert.deepEqual(
      evs.map((e) => e.type),
      ['ADDED', 'ADDED', 'MODIFIED', 'DELETED'],
    );
    assert.ok(Number(evs[3].object.metadata.resourceVersion) > Number(evs[2].object.metadata.resourceVersion));
    w.close();
    const resumed = await watch(
      sim.url,
      sim.token,
      `/api/v1/namespaces/wt/configmaps?watch=true&resourceVersion=${b.body.metadata.resourceVersion}`,
    );
    const r = await resumed.waitFor(2);
    assert.deepEqual(
      r.map((e) => e.type),
      ['MODIFIED', 'DELETED'],
    );
    resumed.close();
    sim.faults.compact();
    const old = await watch(
      sim.url,
      sim.token,
      `/api/v1/namespaces/wt/configmaps?watch=1&resourceVersion=${a.body.metadata.resourceVersion}`,
    );
    await old.ended;
    assert.equal(old.status, 200);
    assert.equal(old.events.length, 1);
    assert.equal(old.events[0].type, 'ERROR');
    assert.equal(old.events[0].object.code, 410);
    assert.equal(old.events[0].object.reason, 'Expired');
    assert.match(old.events[0].object.message, /^too old resource version: \d+ \(\d+\)$/);
  });

  test('bookmarks, timeoutSeconds and selector transitions', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'sel' } });
    const w = await watch(
      sim.url,
      sim.token,
      '/api/v1/namespaces/sel/configmaps?watch=1&labelSelector=app%3Dx&allowWatchBookmarks=true&timeoutSeconds=2',
    );
    await call('POST', '/api/v1/namespaces/sel/configmaps', { metadata: { name: 'c', labels: { app: 'y' } } });
    await call(
      'PATCH',
      '/api/v1/namespaces/sel/configmaps/c',
      { metadata: { labels: { app: 'x' } } },
      'application/merge-patch+json',
    );
    await call(
      'PATCH',
      '/api/v1/namespaces/sel/configmaps/c',
      { metadata: { labels: { app: 'z' } } },
      'application/merge-patch+json',
    );
    const started = Date.now();
    await w.ended;
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `timeoutSeconds ends the stream (${elapsed} ms)`);
    const changes = w.events.filter((e) => e.type !== 'BOOKMARK');
    assert.deepEqual(
      changes.map((e) => e.type),
      ['ADDED', 'DELETED'],
    );
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    assert.ok(bookmark, 'bookmarks arrive');
    assert.deepEqual(Object.keys(bookmark.object.metadata), ['resourceVersion']);
    assert.equal(bookmark.object.kind, 'ConfigMap');
  });

  test('history window: an overflowed resume answers 410', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'hist' } });
    const first = await call('POST', '/api/v1/namespaces/hist/configmaps', {
      metadata: { name: 'h' },
      data: { n: '0' },
    });
    for (let i = 1; i <= 60; i++)
      await call('PUT', '/api/v1/namespaces/hist/configmaps/h', { metadata: { name: 'h' }, data: { n: String(i) } });
    const old = await watch(
      sim.url,
      sim.token,
      `/api/v1/namespaces/hist/configmaps?watch=1&resourceVersion=${first.body.metadata.resourceVersion}`,
    );
    await old.ended;
    assert.equal(old.events[0]?.object.code, 410);
  });
});

describe('fault injection', () => {
  test('failNext, latency, endWatches, down and up', async () => {
    sim.faults.failNext(2, { status: 503, path: '/configmaps' });
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps')).status, 503);
    assert.equal((await call('GET', '/api/v1/namespaces/default/secrets')).status, 200, 'other paths are not affected');
    const second = await call('GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(second.status, 503);
    assert.equal(second.body.reason, 'ServiceUnavailable');
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps')).status, 200);
    sim.faults.failNext(1, { status: 429 });
    const throttled = await call('GET', '/api/v1/nodes');
    assert.equal(throttled.body.reason, 'TooManyRequests');
    assert.equal(throttled.headers['retry-after'], '1');
    sim.faults.setLatency(150);
    const t0 = Date.now();
    await call('GET', '/version');
    assert.ok(Date.now() - t0 >= 140);
    sim.faults.setLatency(0);
    const w = await watch(
      sim.url,
      sim.token,
      '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=' +
        (await call('GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion,
    );
    sim.faults.endWatches();
    await w.ended;
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'kept' } });
    await sim.faults.down();
    await assert.rejects(call('GET', '/version'));
    await sim.faults.up();
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/kept')).status, 200);
    await sim.faults.down();
    await sim.faults.up({ keepState: false });
    assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/kept')).status, 404);
    assert.equal(
      (await call('GET', '/apis/example.test/v1/namespaces/default/widgets')).status,
      200,
      'configured CRDs come back',
    );
    const before = Number((await call('GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion);
    await sim.faults.down();
    await sim.faults.up({ keepState: false, newStorage: true });
    const after = Number((await call('GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion);
    assert.ok(after < before, `new storage starts its resourceVersions again (${before} → ${after})`);
    assert.equal(
      (await call('GET', '/apis/example.test/v1/namespaces/default/widgets')).status,
      200,
      'configured CRDs come back on new storage too',
    );
  });

  test('requests are recorded only when asked', async () => {
    await call('GET', '/version');
    assert.equal(sim.requests.length, 0);
    sim.recordRequests(true);
    await call('GET', '/api/v1/nodes?limit=1');
    sim.recordRequests(false);
    await call('GET', '/version');
    assert.equal(sim.requests.length, 1);
    assert.equal(sim.requests[0].method, 'GET');
    assert.equal(sim.requests[0].path, '/api/v1/nodes?limit=1');
    assert.equal(sim.requests[0].headers.authorization, `Bearer ${sim.token}`);
  });
});
