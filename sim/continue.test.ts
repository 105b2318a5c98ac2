// List pagination tokens: malformed → 400 like the etcd3 store, compacted → 410 with an inconsistent-continue token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from './index.js';
import { request } from './test-client.js';

let sim: Simulator;
const CM = '/api/v1/namespaces/default/configmaps';
const call = (method: string, path: string, body?: unknown) => request(sim.url, sim.token, method, path, body);
const token = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

before(async () => {
  sim = await startSimulator();
  for (const n of ['a', 'b', 'c', 'd']) {
    const r = await call('POST', CM, { metadata: { name: n, labels: { pg: 'yes' } } });
    assert.equal(r.status, 201, r.text);
  }
});

after(async () => {
  await sim?.stop();
});

test('continue tokens are unpadded base64url and page through the list', async () => {
  const p1 = await call('GET', `${CM}?limit=3`);
  const cont = p1.body.metadata.continue as string;
  assert.match(cont, /^[A-Za-z0-9_-]+$/);
  const p2 = await call('GET', `${CM}?limit=3&continue=${cont}`);
  assert.equal(p2.status, 200, p2.text);
  assert.deepEqual(
    p2.body.items.map((i: any) => i.metadata.name),
    ['d'],
  );
});

test('malformed continue tokens are 400 BadRequest with the etcd3 store wording', async () => {
  const cases: [string, RegExp][] = [
    ['not a token!', /^invalid continue token: continue key is not valid: illegal base64 data/],
    ['abc', /^invalid continue token: continue key is not valid: /],
    [token({ v: 'meta.k8s.io/v2', rv: 5, start: 'default/a\u0000' }), /server does not recognize this encoded version/],
    [
      token({ v: 'meta.k8s.io/v1', rv: 0, start: 'default/a\u0000' }),
      /^invalid continue token: continue key is not valid: incorrect encoded start resourceVersion \(version meta\.k8s\.io\/v1\)$/,
    ],
    [
      token({ v: 'meta.k8s.io/v1', rv: 5, start: '' }),
      /^invalid continue token: continue key is not valid: encoded start key empty \(version meta\.k8s\.io\/v1\)$/,
    ],
    [
      token({ v: 'meta.k8s.io/v1', rv: 5, start: '../secrets/x' }),
      /^invalid continue token: continue key is not valid/,
    ],
  ];
  for (const [tok, message] of cases) {
    const r = await call('GET', `${CM}?limit=1&continue=${encodeURIComponent(tok)}`);
    assert.equal(r.status, 400, `${tok}: ${r.text}`);
    assert.equal(r.body.kind, 'Status');
    assert.equal(r.body.reason, 'BadRequest');
    assert.match(r.body.message, message, tok);
  }
  const p1 = await call('GET', `${CM}?limit=1`);
  const withRv = await call('GET', `${CM}?limit=1&resourceVersion=5&continue=${p1.body.metadata.continue}`);
  assert.equal(withRv.status, 400);
  assert.equal(withRv.body.message, 'specifying resource version is not allowed when using continue');
});

test('a token from before a compaction is 410 Expired and offers an inconsistent continuation', async () => {
  const p1 = await call('GET', `${CM}?labelSelector=pg%3Dyes&limit=1`);
  assert.deepEqual(
    p1.body.items.map((i: any) => i.metadata.name),
    ['a'],
  );
  sim.faults.compact();
  const gone = await call('GET', `${CM}?labelSelector=pg%3Dyes&limit=1&continue=${p1.body.metadata.continue}`);
  assert.equal(gone.status, 410, gone.text);
  assert.equal(gone.body.reason, 'Expired');
  assert.match(gone.body.message, /^The provided continue parameter is too old to display a consistent list result\./);
  const next = gone.body.metadata.continue as string;
  assert.equal(JSON.parse(Buffer.from(next, 'base64url').toString()).rv, -1);
  await call('POST', CM, { metadata: { name: 'b2', labels: { pg: 'yes' } } });
  const rest = await call('GET', `${CM}?labelSelector=pg%3Dyes&continue=${next}`);
  assert.equal(rest.status, 200, rest.text);
  assert.deepEqual(
    rest.body.items.map((i: any) => i.metadata.name),
    ['b', 'b2', 'c', 'd'],
    'an inconsistent continuation sees the current state after the last key',
  );
  assert.ok(Number(rest.body.metadata.resourceVersion) > Number(p1.body.metadata.resourceVersion));
});
