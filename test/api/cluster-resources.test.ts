// GET …/machines, …/load-balancers and …/tenantcontrolplane against the simulator with the project's MachineRequest and
// LoadBalancerRequest CRDs and the Kamaji TenantControlPlane stand-in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { baseSeed, ns, startApiEnv, type ApiEnv } from './fixture.js';
import { teamViewerSeed, viewerApi } from './team-viewer.js';

const API = 'butler.butlerlabs.dev/v1alpha1';
const cluster = (name: string, tenantNamespace?: string) => ({
  apiVersion: API,
  kind: 'TenantCluster',
  metadata: { name, namespace: 'butler-tenants' },
  spec: {
    kubernetesVersion: 'v1.30.2',
    providerConfigRef: { name: 'pmx' },
    teamRef: { name: 'team-a' },
    workers: { replicas: 2 },
  },
  status: tenantNamespace ? { phase: 'Ready', tenantNamespace } : { phase: 'Pending' },
});
const machine = (name: string, clusterName: string, namespace = 'butler-tenants') => ({
  apiVersion: API,
  kind: 'MachineRequest',
  metadata: { name, namespace, labels: { 'butler.butlerlabs.dev/cluster': clusterName } },
  spec: { providerRef: { name: 'pmx' }, machineName: name, role: 'worker', cpu: 4, memoryMB: 8192, diskGB: 50 },
  status: { phase: 'Running', ipAddress: '10.0.0.21' },
});
const loadBalancer = (name: string, clusterName: string) => ({
  apiVersion: API,
  kind: 'LoadBalancerRequest',
  metadata: { name, namespace: 'butler-tenants', labels: { 'butler.butlerlabs.dev/cluster': clusterName } },
  spec: { clusterName, providerConfigRef: { name: 'pmx' }, port: 6443 },
  status: { phase: 'Ready', endpoint: '10.0.0.50:6443', registeredTargets: 1 },
});
const tenantControlPlane = (name: string, namespace: string) => ({
  apiVersion: 'kamaji.clastix.io/v1alpha1',
  kind: 'TenantControlPlane',
  metadata: { name, namespace },
  spec: { kubernetes: { version: 'v1.30.2' }, controlPlane: { deployment: { replicas: 3 } } },
  status: {
    controlPlaneEndpoint: '10.0.0.50:6443',
    kubernetesResources: {
      version: { version: 'v1.30.2', status: 'Ready' },
      deployment: { replicas: 3, readyReplicas: 2 },
      service: { port: 6443, loadBalancer: { ingress: [{ ip: '10.0.0.50' }] } },
    },
    storage: { driver: 'etcd', dataStoreName: 'default' },
    addons: { konnectivity: { enabled: true } },
  },
});

describe('cluster machines, load balancers and control plane', () => {
  let env: ApiEnv;
  before(async () => {
    env = await startApiEnv({
      seed: [
        ...baseSeed(),
        ns('other'),
        ns('butler-tenants-alpha'),
        ...teamViewerSeed(),
        cluster('alpha', 'butler-tenants-alpha'),
        cluster('beta'),
        machine('alpha-worker-b', 'alpha'),
        machine('alpha-worker-a', 'alpha'),
        machine('beta-worker-a', 'beta'),
        machine('alpha-elsewhere', 'alpha', 'other'),
        loadBalancer('alpha-cp', 'alpha'),
        loadBalancer('beta-cp', 'beta'),
        tenantControlPlane('alpha', 'butler-tenants-alpha'),
      ],
    });
  });
  after(async () => {
    await env?.close();
  });

  it("lists exactly the cluster's MachineRequests (its label, its namespace), sorted, without managedFields", async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/alpha/machines');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.machineRequests.map((m: any) => m.metadata.name),
      ['alpha-worker-a', 'alpha-worker-b'],
    );
    const m = res.body.machineRequests[0];
    assert.equal(m.kind, 'MachineRequest');
    assert.equal(m.status.ipAddress, '10.0.0.21');
    assert.equal(m.metadata.managedFields, undefined);
    const none = await env.api('GET', '/api/clusters/butler-tenants/beta/machines');
    assert.deepEqual(
      none.body.machineRequests.map((x: any) => x.metadata.name),
      ['beta-worker-a'],
    );
  });

  it("lists the cluster's LoadBalancerRequests", async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/alpha/load-balancers');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.loadBalancerRequests.map((l: any) => l.metadata.name),
      ['alpha-cp'],
    );
    assert.equal(res.body.loadBalancerRequests[0].status.endpoint, '10.0.0.50:6443');
  });

  it("summarises the TenantControlPlane in the cluster's tenant namespace", async () => {
    const res = await env.api('GET', '/api/clusters/butler-tenants/alpha/tenantcontrolplane');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, {
      name: 'alpha',
      namespace: 'butler-tenants-alpha',
      specVersion: 'v1.30.2',
      status: {
        phase: 'Ready',
        version: 'v1.30.2',
        controlPlaneEndpoint: '10.0.0.50:6443',
        replicas: 3,
        readyReplicas: 2,
        servicePort: 6443,
        loadBalancerIP: '10.0.0.50',
        dataStoreName: 'default',
        dataStoreDriver: 'etcd',
        konnectivityEnabled: true,
        workerBootstrap: { provider: '', endpoint: '' },
      },
    });
    const none = await env.api('GET', '/api/clusters/butler-tenants/beta/tenantcontrolplane');
    assert.equal(none.status, 404);
    assert.equal(
      none.body.error,
      'TenantControlPlane of cluster "butler-tenants/beta" not found in namespace "butler-tenants"',
    );
  });

  it('404 for an absent cluster on every route; a team viewer reads them all', async () => {
    const viewer = await viewerApi(env);
    for (const part of ['machines', 'load-balancers', 'tenantcontrolplane']) {
      const res = await env.api('GET', `/api/clusters/butler-tenants/ghost/${part}`);
      assert.equal(res.status, 404, part);
      assert.equal(res.body.error, 'TenantCluster "butler-tenants/ghost" not found');
      const read = await viewer('GET', `/api/clusters/butler-tenants/alpha/${part}`);
      assert.equal(read.status, 200, `${part}: ${JSON.stringify(read.body)}`);
    }
  });
});
