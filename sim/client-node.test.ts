// The official @kubernetes/client-node against the simulator, through the kubeconfig it writes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startSimulator, type Simulator } from './index.js';

let sim: Simulator;
let kc: KubeConfig;

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.test' },
  spec: {
    group: 'example.test',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
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
              spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1 } } },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

before(async () => {
  sim = await startSimulator({ bookmarkIntervalMs: 200 });
  kc = new KubeConfig();
  kc.loadFromFile(sim.kubeconfigPath);
});
after(async () => {
  await sim.stop();
});

test('typed CoreV1Api: namespaces, configmaps, secrets, errors', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const nss = await core.listNamespace();
  assert.deepEqual(
    nss.items.map((n) => n.metadata?.name),
    ['default', 'kube-node-lease', 'kube-public', 'kube-system'],
  );
  await core.createNamespace({ body: { metadata: { name: 'cn' } } });
  const cm = await core.createNamespacedConfigMap({
    namespace: 'cn',
    body: { metadata: { name: 'a', labels: { x: 'y' } }, data: { k: 'v' } },
  });
  assert.equal(cm.data?.k, 'v');
  const listed = await core.listNamespacedConfigMap({ namespace: 'cn', labelSelector: 'x=y' });
  assert.equal(listed.items.length, 1);
  const secret = await core.createNamespacedSecret({
    namespace: 'cn',
    body: { metadata: { name: 's' }, stringData: { pw: 'hunter2' } },
  });
  assert.equal(Buffer.from(secret.data!.pw, 'base64').toString(), 'hunter2');
  await assert.rejects(core.readNamespacedConfigMap({ namespace: 'cn', name: 'missing' }), (e: any) => {
    assert.equal(e.code, 404);
    assert.equal(JSON.parse(e.body).reason, 'NotFound');
    return true;
  });
  const version = await kc.makeApiClient(CoreV1Api).getAPIResources();
  assert.ok(version.resources.some((r) => r.name === 'pods/exec'));
});

test('CRDs through ApiextensionsV1Api and custom objects through CustomObjectsApi', async () => {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await ext.createCustomResourceDefinition({ body: CRD as any });
  const crd = await ext.readCustomResourceDefinition({ name: 'gadgets.example.test' });
  assert.ok(crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
  const custom = kc.makeApiClient(CustomObjectsApi);
  const g = { group: 'example.test', version: 'v1', namespace: 'default', plural: 'gadgets' };
  const created: any = await custom.createNamespacedCustomObject({
    ...g,
    body: { apiVersion: 'example.test/v1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 2 } },
  });
  assert.equal(created.metadata.generation, 1);
  await assert.rejects(
    custom.createNamespacedCustomObject({
      ...g,
      body: { apiVersion: 'example.test/v1', kind: 'Gadget', metadata: { name: 'g2' }, spec: { size: 0 } },
    }),
    (e: any) => {
      assert.equal(e.code, 422);
      const body = JSON.parse(e.body);
      assert.equal(body.reason, 'Invalid');
      assert.equal(body.details.causes[0].field, 'spec.size');
      return true;
    },
  );
  const patched: any = await custom.patchNamespacedCustomObjectStatus(
    { ...g, name: 'g1', body: { status: { phase: 'Ready' } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await assert.rejects(
    custom.patchNamespacedCustomObject({ ...g, name: 'g1', body: { spec: { size: 3 } } }),
    (e: any) => e.code === 400,
  );
  assert.equal(patched.status.phase, 'Ready');
  const all: any = await custom.listClusterCustomObject({ group: 'example.test', version: 'v1', plural: 'gadgets' });
  assert.equal(all.items.length, 1);
  assert.equal(all.kind, 'GadgetList');
  await custom.deleteNamespacedCustomObject({ ...g, name: 'g1' });
  await ext.deleteCustomResourceDefinition({ name: 'gadgets.example.test' });
  await assert.rejects(custom.listClusterCustomObject({ group: 'example.test', version: 'v1', plural: 'gadgets' }));
});

test('Watch delivers ADDED, MODIFIED, DELETED', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'wn' } } });
  const seen: string[] = [];
  let resolveDone!: () => void;
  const gotThree = new Promise<void>((r) => (resolveDone = r));
  const w = new Watch(kc);
  const ctl = await w.watch(
    '/api/v1/namespaces/wn/configmaps',
    {},
    (type, obj: V1ConfigMap) => {
      seen.push(`${type}:${obj.metadata?.name}`);
      if (seen.length === 3) resolveDone();
    },
    () => undefined,
  );
  await core.createNamespacedConfigMap({ namespace: 'wn', body: { metadata: { name: 'w' } } });
  await core.patchNamespacedConfigMap(
    { namespace: 'wn', name: 'w', body: { data: { a: 'b' } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  await core.deleteNamespacedConfigMap({ namespace: 'wn', name: 'w' });
  await Promise.race([gotThree, new Promise((_, rej) => setTimeout(() => rej(new Error(`events: ${seen}`)), 3000))]);
  ctl.abort();
  assert.deepEqual(seen, ['ADDED:w', 'MODIFIED:w', 'DELETED:w']);
});

test('makeInformer lists, watches and relists after the watch ends', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'inf' } } });
  await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'first' } } });
  const informer = makeInformer(kc, '/api/v1/namespaces/inf/configmaps', () =>
    core.listNamespacedConfigMap({ namespace: 'inf' }),
  );
  const added: string[] = [];
  informer.on('add', (o: V1ConfigMap) => added.push(o.metadata!.name!));
  await informer.start();
  const waitFor = async (pred: () => boolean) => {
    for (let i = 0; i < 60 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pred(), `informer state: ${added}`);
  };
  await waitFor(() => added.includes('first'));
  await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'second' } } });
  await waitFor(() => added.includes('second'));
  sim.faults.endWatches();
  await core.createNamespacedConfigMap({ namespace: 'inf', body: { metadata: { name: 'third' } } });
  await waitFor(() => informer.list().length === 3);
  await informer.stop();
});
