import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { butlerCrds } from '../../sim/crds.js';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { HttpError } from '../http/errors.js';
import { createKubeClient, type KubeClient } from './client.js';
import { createTenantClusterAccess } from './tenant-access.js';

const TC = '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters';
let management: Simulator;
let tenant: Simulator;
let kube: KubeClient;

before(async () => {
  tenant = await startSimulator();
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  management = await startSimulator({
    crds: butlerCrds(),
    seed: [
      ns('butler-tenants'),
      ns('tn-a'),
      {
        apiVersion: 'butler.butlerlabs.dev/v1alpha1',
        kind: 'TenantCluster',
        metadata: { name: 'a', namespace: 'butler-tenants' },
        spec: { kubernetesVersion: 'v1.30.2', providerConfigRef: { name: 'p' }, workers: { replicas: 1 } },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'a-admin-kubeconfig', namespace: 'tn-a' },
        data: { value: Buffer.from(tenant.kubeconfig).toString('base64') },
      },
    ],
  });
  const kc = new KubeConfig();
  kc.loadFromString(management.kubeconfig);
  kube = createKubeClient(kc, { timeoutMs: 5000 });
  await kube.request({
    method: 'PATCH',
    path: `${TC}/a/status`,
    body: { status: { phase: 'Ready', tenantNamespace: 'tn-a' } },
    contentType: 'application/merge-patch+json',
  });
});
after(async () => {
  kube?.close();
  await management?.stop();
  await tenant?.stop();
});

test('one client per tenant cluster, dropped once the cluster is gone', async (t) => {
  const access = createTenantClusterAccess(kube, { tenantTimeoutMs: 5000 });
  t.after(() => access.close());
  const first = await access.getTenantKubeconfig('butler-tenants', 'a');
  assert.equal((await access.getTenantKubeconfig('butler-tenants', 'a')).client, first.client);
  assert.equal(access.size, 1);

  await kube.request({ method: 'DELETE', path: `${TC}/a` });
  await assert.rejects(access.getTenantKubeconfig('butler-tenants', 'a'), (err: unknown) => {
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 404);
    return true;
  });
  assert.equal(access.size, 0);
});
