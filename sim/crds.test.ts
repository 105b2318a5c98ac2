import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { butlerCrdFiles, butlerCrds } from './crds.js';
import { invalidButlerCases, validButlerSamples } from './schema/butler-samples.js';
import { processCustomResource } from './schema/index.js';

const crds = butlerCrds() as any[];
const byKind = new Map(crds.map((c) => [c.spec.names.kind as string, c]));
const schemaOf = (kind: string): object => {
  const crd = byKind.get(kind);
  assert.ok(crd, `no CRD for ${kind}`);
  return crd.spec.versions[0].schema.openAPIV3Schema;
};
const causeKeys = (causes: { reason: string; field: string }[]) => causes.map((c) => `${c.reason} ${c.field}`).sort();

describe('Butler CRD manifests', () => {
  it('has one file per kind, loaded with js-yaml', () => {
    assert.deepEqual(
      butlerCrdFiles().map((f) => basename(f)),
      [
        'addondefinition.yaml',
        'butlerconfig.yaml',
        'identityprovider.yaml',
        'ipallocation.yaml',
        'loadbalancerrequest.yaml',
        'machinerequest.yaml',
        'managementaddon.yaml',
        'networkpool.yaml',
        'providerconfig.yaml',
        'team.yaml',
        'tenantaddon.yaml',
        'tenantcluster.yaml',
        'user.yaml',
      ],
    );
    assert.equal(crds.length, 13);
  });

  it('declares the names, scope, short names and subresources of the Butler API', () => {
    const expected: [string, string, string, string[], boolean][] = [
      ['TenantCluster', 'tenantclusters', 'Namespaced', ['tc'], true],
      ['ProviderConfig', 'providerconfigs', 'Namespaced', ['pc'], true],
      ['TenantAddon', 'tenantaddons', 'Namespaced', ['ta'], true],
      ['AddonDefinition', 'addondefinitions', 'Cluster', ['ad', 'adddef'], false],
      ['ManagementAddon', 'managementaddons', 'Cluster', ['ma', 'maddon'], true],
      ['ButlerConfig', 'butlerconfigs', 'Cluster', ['bc'], true],
      ['Team', 'teams', 'Cluster', ['tm'], true],
      ['User', 'users', 'Cluster', ['usr'], true],
      ['IdentityProvider', 'identityproviders', 'Cluster', ['idp'], true],
    ];
    for (const [kind, plural, scope, shortNames, status] of expected) {
      const crd = byKind.get(kind);
      assert.ok(crd, kind);
      assert.equal(crd.apiVersion, 'apiextensions.k8s.io/v1');
      assert.equal(crd.kind, 'CustomResourceDefinition');
      assert.equal(crd.metadata.name, `${plural}.butler.butlerlabs.dev`);
      assert.equal(crd.spec.group, 'butler.butlerlabs.dev');
      assert.equal(crd.spec.names.plural, plural);
      assert.equal(crd.spec.names.singular, kind.toLowerCase());
      assert.equal(crd.spec.names.listKind, `${kind}List`);
      assert.deepEqual(crd.spec.names.shortNames, shortNames, kind);
      assert.equal(crd.spec.scope, scope, kind);
      assert.equal(crd.spec.versions.length, 1);
      const v = crd.spec.versions[0];
      assert.equal(v.name, 'v1alpha1');
      assert.equal(v.served, true);
      assert.equal(v.storage, true);
      assert.equal(v.subresources?.status !== undefined, status, `${kind} status subresource`);
      assert.equal(v.schema.openAPIV3Schema.type, 'object');
    }
    const tcColumns = byKind.get('TenantCluster').spec.versions[0].additionalPrinterColumns.map((c: any) => c.name);
    assert.deepEqual(tcColumns, ['Phase', 'K8s Version', 'Workers', 'Endpoint', 'Age']);
    const columns = (kind: string) =>
      byKind.get(kind).spec.versions[0].additionalPrinterColumns.map((c: any) => c.name);
    assert.deepEqual(columns('User'), [
      'Email',
      'Display Name',
      'Auth',
      'Platform Admin',
      'Phase',
      'Last Login',
      'Age',
    ]);
    assert.deepEqual(columns('IdentityProvider'), ['Type', 'Issuer', 'Phase', 'Age']);
  });

  it('does not depend on the reference folder outside the repository', () => {
    for (const file of [
      new URL('./crds.ts', import.meta.url),
      new URL('./schema/butler-samples.ts', import.meta.url),
    ]) {
      assert.doesNotMatch(readFileSync(file, 'utf8'), /shared\/reference/);
    }
    for (const file of butlerCrdFiles()) assert.doesNotMatch(file, /shared/);
  });
});

describe('Butler objects against the CRD schemas (processCustomResource)', () => {
  for (const sample of validButlerSamples) {
    it(`accepts ${sample.kind} ${sample.object.metadata.name}`, () => {
      const r = processCustomResource(schemaOf(sample.kind), sample.object, { strict: true });
      assert.deepEqual(r.causes, []);
      assert.deepEqual(r.unknownFields, []);
    });
  }

  for (const c of invalidButlerCases) {
    it(`rejects: ${c.title}`, () => {
      const r = processCustomResource(schemaOf(c.kind), c.object, { strict: false });
      assert.deepEqual(causeKeys(r.causes), c.causes);
      for (const cause of r.causes) assert.ok(cause.message.length > 0);
    });
  }

  it('applies the schema defaults butler-server relies on', () => {
    const nutanix = validButlerSamples.find((s) => s.object.metadata.name === 'nutanix-config')!;
    const r = processCustomResource(schemaOf('ProviderConfig'), nutanix.object, { strict: false });
    assert.equal(r.object.spec.nutanix.port, 9440);
    assert.equal(r.object.spec.nutanix.insecure, false);
    const helm = validButlerSamples.find((s) => s.object.metadata.name === 'podinfo-demo')!;
    assert.equal(
      processCustomResource(schemaOf('TenantAddon'), helm.object, { strict: false }).object.spec.helm.createNamespace,
      true,
    );
    const cluster = validButlerSamples.find((s) => s.object.metadata.name === 'minimal')!;
    const spec = processCustomResource(schemaOf('TenantCluster'), cluster.object, { strict: false }).object.spec;
    assert.equal(spec.workers.replicas, 1);
    assert.equal(spec.workers.machineTemplate, undefined, 'no parent object, no defaults below it');
    const def = validButlerSamples.find((s) => s.kind === 'AddonDefinition')!;
    assert.equal(
      processCustomResource(schemaOf('AddonDefinition'), def.object, { strict: false }).object.spec.platform,
      false,
    );
  });

  it('accepts a TenantCluster without providerConfigRef, as the upstream schema does', () => {
    const obj = { ...validButlerSamples[0]!.object, spec: { kubernetesVersion: 'v1.30.2', workers: { replicas: 1 } } };
    assert.deepEqual(processCustomResource(schemaOf('TenantCluster'), obj, { strict: false }).causes, []);
  });

  it('prunes and reports fields the schemas do not know (helm.version is not part of TenantAddon)', () => {
    const obj = {
      apiVersion: 'butler.butlerlabs.dev/v1alpha1',
      kind: 'TenantAddon',
      metadata: { name: 'x', namespace: 'team-a' },
      spec: {
        clusterRef: { name: 'c' },
        version: '1',
        helm: { repository: 'r', chart: 'c', version: '1' },
        values: { any: 1 },
      },
    };
    const r = processCustomResource(schemaOf('TenantAddon'), obj, { strict: true });
    assert.deepEqual(r.unknownFields, ['spec.helm.version']);
    assert.deepEqual(r.object.spec.values, { any: 1 });
    assert.deepEqual(r.causes, []);
  });
});
