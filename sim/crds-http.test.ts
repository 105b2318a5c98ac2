import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { butlerCrds } from './crds.js';
import { startSimulator, type Simulator } from './index.js';
import { invalidButlerCases, validButlerSamples, type ButlerSample } from './schema/butler-samples.js';

const GROUP = 'butler.butlerlabs.dev';
let sim: Simulator;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const collection = (s: ButlerSample) =>
  `/apis/${GROUP}/v1alpha1${s.namespaced ? `/namespaces/${s.object.metadata.namespace}` : ''}/${s.resource}`;

function withoutStatus(s: ButlerSample): Record<string, unknown> {
  const { status: _status, ...rest } = s.object;
  return rest;
}

describe('Butler CRDs in the simulator, over HTTP', () => {
  before(async () => {
    sim = await startSimulator({
      crds: butlerCrds(),
      seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }],
    });
  });
  after(async () => {
    await sim?.stop();
  });

  it('serves every Butler resource', async () => {
    const res = await call('GET', `/apis/${GROUP}/v1alpha1`);
    assert.equal(res.status, 200);
    const names = res.body.resources.map((r: any) => r.name).sort();
    for (const plural of [
      'addondefinitions',
      'butlerconfigs',
      'identityproviders',
      'managementaddons',
      'providerconfigs',
      'teams',
      'tenantaddons',
      'tenantclusters',
      'users',
    ])
      assert.ok(names.includes(plural), plural);
  });

  for (const sample of validButlerSamples) {
    it(`creates ${sample.kind} ${sample.object.metadata.name} (201)`, async () => {
      const res = await call('POST', collection(sample), withoutStatus(sample));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.metadata.name, sample.object.metadata.name);
      assert.equal(res.headers.get('warning'), null);
    });
  }

  it('returned the schema defaults on create', async () => {
    const res = await call('GET', `/apis/${GROUP}/v1alpha1/namespaces/team-a/providerconfigs/nutanix-config`);
    assert.equal(res.status, 200);
    assert.equal(res.body.spec.nutanix.port, 9440);
    assert.equal(res.body.spec.nutanix.insecure, false);
  });

  for (const c of invalidButlerCases.filter((x) => !x.statusOnly)) {
    it(`answers 422 Invalid: ${c.title}`, async () => {
      const res = await call('POST', collection(c), c.object);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.kind, 'Status');
      assert.equal(res.body.status, 'Failure');
      assert.equal(res.body.reason, 'Invalid');
      assert.equal(res.body.code, 422);
      assert.equal(res.body.details.name, c.object.metadata.name);
      assert.equal(res.body.details.group, GROUP);
      assert.equal(res.body.details.kind, c.kind);
      const causes = res.body.details.causes as { reason: string; field: string; message: string }[];
      assert.deepEqual(causes.map((x) => `${x.reason} ${x.field}`).sort(), c.causes);
      assert.ok(
        res.body.message.startsWith(`${c.kind}.${GROUP} "${c.object.metadata.name}" is invalid: `),
        res.body.message,
      );
      for (const cause of causes)
        assert.ok(res.body.message.includes(`${cause.field}: ${cause.message}`), res.body.message);
      const get = await call('GET', `${collection(c)}/${c.object.metadata.name}`);
      assert.equal(get.status, 404, 'nothing was stored');
    });
  }

  for (const c of invalidButlerCases.filter((x) => x.statusOnly)) {
    it(`answers 422 Invalid on /status: ${c.title}`, async () => {
      const created = await call('POST', collection(c), withoutStatus(c));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const res = await call('PUT', `${collection(c)}/${c.object.metadata.name}/status`, {
        ...created.body,
        status: c.object.status,
      });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.reason, 'Invalid');
      assert.deepEqual(res.body.details.causes.map((x: any) => `${x.reason} ${x.field}`).sort(), c.causes);
    });
  }

  it('prunes unknown fields with a warning, or refuses them with fieldValidation=Strict', async () => {
    const addon = {
      apiVersion: `${GROUP}/v1alpha1`,
      kind: 'TenantAddon',
      metadata: { name: 'pruned', namespace: 'team-a' },
      spec: {
        clusterRef: { name: 'demo' },
        version: '1',
        helm: { repository: 'https://x.test', chart: 'c', version: '1' },
      },
    };
    const strict = await call(
      'POST',
      '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/team-a/tenantaddons?fieldValidation=Strict',
      addon,
    );
    assert.equal(strict.status, 400, JSON.stringify(strict.body));
    assert.equal(strict.body.reason, 'BadRequest');
    assert.equal(
      strict.body.message,
      'TenantAddon in version "v1alpha1" cannot be handled as a TenantAddon: strict decoding error: unknown field "spec.helm.version"',
    );
    const warn = await call('POST', '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/team-a/tenantaddons', addon);
    assert.equal(warn.status, 201, JSON.stringify(warn.body));
    assert.equal(warn.body.spec.helm.version, undefined);
    assert.equal(warn.body.spec.helm.createNamespace, true);
    assert.match(warn.headers.get('warning') ?? '', /^299 - "unknown field \\"spec\.helm\.version\\""$/);
  });
});
