// Every feature of butler-server, exercised against a management simulator where the server authenticates as the
// deploy/ ServiceAccount: the world it needs (seed), and one script of named steps that throws at the first failure.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  certificateSecrets,
  loadBalancerRequest,
  machineRequests,
  tenantControlPlane,
} from '../../demo/control-plane.js';
import { butlerCrds } from '../../sim/crds.js';
import { kamajiCrds } from '../../sim/kamaji-crds.js';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { REVOCATION_LABELS, REVOCATION_PREFIX } from '../../src/auth/revocations.js';
import { kubectl, renderKustomization } from '../packaging/render.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

export const SA = { namespace: 'butler-system', name: 'butler-server' };
const B = 'butler.butlerlabs.dev/v1alpha1';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const definition = {
  apiVersion: B,
  kind: 'AddonDefinition',
  metadata: { name: 'longhorn' },
  spec: {
    displayName: 'Longhorn',
    description: 'distributed block storage',
    category: 'storage',
    platform: false,
    chart: {
      repository: 'https://charts.example',
      name: 'longhorn',
      defaultVersion: '1.7.0',
      availableVersions: ['1.7.0'],
    },
  },
};

function seed(tenantKubeconfig: string, certificates: object[]): object[] {
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return [
    ns('butler-system'),
    ns('butler-tenants'),
    ns('tn-alpha'),
    { apiVersion: 'v1', kind: 'Node', metadata: { name: 'mgmt-1' } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'controller', namespace: 'butler-system' },
      spec: { containers: [{ name: 'manager', image: 'busybox' }] },
    },
    definition,
    {
      apiVersion: B,
      kind: 'ProviderConfig',
      metadata: { name: 'pmx', namespace: 'butler-system' },
      spec: {
        provider: 'proxmox',
        credentialsRef: { name: 'pmx-credentials' },
        proxmox: { endpoint: 'https://pve:8006', nodes: ['pve1'], storage: 'local-lvm' },
      },
    },
    {
      apiVersion: B,
      kind: 'TenantCluster',
      metadata: { name: 'alpha', namespace: 'butler-tenants' },
      spec: { kubernetesVersion: 'v1.30.2', providerConfigRef: { name: 'pmx' }, workers: { replicas: 1 } },
      status: { phase: 'Ready', tenantNamespace: 'tn-alpha' },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'alpha-admin-kubeconfig', namespace: 'tn-alpha' },
      data: { value: b64(tenantKubeconfig) },
    },
    tenantControlPlane({
      cluster: 'alpha',
      namespace: 'tn-alpha',
      version: 'v1.30.2',
      replicas: 1,
      endpointIp: '10.0.0.50',
    }),
    ...certificates,
    ...machineRequests({
      cluster: 'alpha',
      namespace: 'butler-tenants',
      provider: 'pmx',
      workers: 1,
      firstIp: 20,
      ageMinutes: 60,
    }),
    loadBalancerRequest({
      cluster: 'alpha',
      namespace: 'butler-tenants',
      provider: 'pmx',
      endpointIp: '10.0.0.50',
      targets: 1,
    }),
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'alpha.1', namespace: 'butler-tenants' },
      type: 'Normal',
      reason: 'Provisioned',
      message: 'cluster is ready',
      involvedObject: { kind: 'TenantCluster', name: 'alpha', namespace: 'butler-tenants' },
    },
    { apiVersion: B, kind: 'ButlerConfig', metadata: { name: 'butler' }, spec: { multiTenancy: { mode: 'Optional' } } },
    {
      apiVersion: B,
      kind: 'NetworkPool',
      metadata: { name: 'lab', namespace: 'butler-system' },
      spec: { cidr: '10.40.0.0/24' },
    },
    {
      apiVersion: B,
      kind: 'IPAllocation',
      metadata: { name: 'alpha-nodes', namespace: 'butler-system' },
      spec: {
        poolRef: { name: 'lab' },
        tenantClusterRef: { name: 'alpha', namespace: 'butler-tenants' },
        type: 'nodes',
        count: 3,
      },
    },
  ];
}

export interface World {
  management: Simulator;
  tenant: Simulator;
  close(): Promise<void>;
}

/** The management simulator with the deploy/ render applied (by the admin), and a tenant simulator with a node. */
export async function startWorld(): Promise<World> {
  const tenant = await startSimulator({ seed: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-1' } }] });
  const management = await startSimulator({
    crds: [...butlerCrds(), ...kamajiCrds()],
    seed: seed(
      tenant.kubeconfig,
      await certificateSecrets({ cluster: 'alpha', namespace: 'tn-alpha', skip: ['admin-kubeconfig'] }),
    ),
    bookmarkIntervalMs: 1000,
  });
  const { text } = await renderKustomization('deploy/');
  const applied = await kubectl(['--kubeconfig', management.kubeconfigPath, 'apply', '-f', '-'], text);
  if (applied.code !== 0) throw new Error(`kubectl apply of deploy/ failed: ${applied.stderr}`);
  return {
    management,
    tenant,
    async close() {
      await management.stop();
      await tenant.stop();
    },
  };
}

/** The email the bootstrap admin's session carries: what its writes to the management cluster impersonate. */
export const ADMIN_EMAIL = 'admin@butler.local';

/** butler-server authenticated as the deploy/ ServiceAccount (not started waiting for readiness: step 1 checks it). */
export function startServerAsServiceAccount(world: World): Promise<TestServer> {
  const kubeconfig = world.management.kubeconfigFor(SA.namespace, SA.name);
  return startTestServer({
    sim: world.management,
    args: ['--kubeconfig', kubeconfig],
    waitForSync: false,
    env: {
      BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8',
      BUTLER_PROVIDER_CHECK_TIMEOUT: '2s',
      // Short, so the shell pod's heartbeat (a third of it) runs within the scenario.
      BUTLER_TERMINAL_REATTACH_GRACE: '3s',
      BUTLER_TERMINAL_MAX_PER_USER: '1',
      BUTLER_TERMINAL_IMAGE: 'local/shell:rbac',
    },
  });
}

export interface Step {
  name: string;
  run(): Promise<void>;
}

/** The feature script; `completed` lists the steps that passed, in order. */
/**
 * Makes the server's TenantCluster cache unable to sync (its cluster-wide LIST fails) for the rest of the
 * simulator's life, so reads take the direct-GET path used before the first sync. Use last on a simulator.
 */
export function keepClusterCacheCold(sim: Simulator): void {
  sim.faults.failNext(1_000_000, {
    status: 503,
    path: /^\/apis\/butler\.butlerlabs\.dev\/v1alpha1\/tenantclusters$/,
  });
}

/** With a cold cluster cache (keepClusterCacheCold): a cluster is read directly from the API. */
export async function readClusterBeforeSync(server: TestServer): Promise<void> {
  await waitUntil(() => server.services.revocations.synced, 3000, 'the revocation store');
  const { token } = await server.login();
  assert.equal(server.services.clusterCache.synced, false, 'the cluster cache is cold');
  const res = await fetch(`${server.url}/api/clusters/butler-tenants/alpha`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await res.text();
  assert.equal(res.status, 200, `step "read a cluster before the cluster cache synced" failed: ${res.status} ${text}`);
}

export async function exerciseEveryFeature(
  server: TestServer,
  sim: Simulator,
  completed: string[] = [],
): Promise<void> {
  const url = server.url;
  const marker = async (jti: string, expiresAt: Date) => {
    const res = await fetch(`${sim.url}/api/v1/namespaces/butler-system/configmaps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        metadata: { name: `${REVOCATION_PREFIX}${jti}`, labels: REVOCATION_LABELS },
        data: { expiresAt: expiresAt.toISOString() },
      }),
    });
    assert.equal(res.status, 201, await res.text());
  };
  let token = '';
  let cookie = '';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };
  const expect = async (status: number, method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  const C = '/api/clusters/butler-tenants';

  const steps: Step[] = [
    {
      name: 'ready (revocation and cluster caches synced)',
      run: async () => {
        const deadline = Date.now() + 3000;
        let last = 0;
        while (Date.now() < deadline) {
          last = (await fetch(`${url}/readyz`)).status;
          if (last === 200) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.fail(`/readyz answered ${last} for 3 s`);
      },
    },
    {
      name: 'login',
      run: async () => {
        ({ token, cookie } = await server.login());
      },
    },
    {
      name: 'platform pages: settings read and written, network pools and IP allocations',
      run: async () => {
        const config = await expect(200, 'GET', '/api/admin/config');
        const updated = await expect(200, 'PUT', '/api/admin/config', {
          resourceVersion: config.resourceVersion,
          multiTenancy: { mode: 'Enforced' },
        });
        assert.deepEqual(updated.multiTenancy, { mode: 'Enforced' });
        assert.equal((await expect(200, 'GET', '/api/admin/networks')).pools.length, 1);
        await expect(200, 'GET', '/api/admin/networks/butler-system/lab');
        assert.equal((await expect(200, 'GET', '/api/admin/ipallocations')).allocations.length, 1);
      },
    },
    {
      name: 'a revocation written by another replica ends a session here',
      run: async () => {
        const other = await server.login();
        const jti = JSON.parse(Buffer.from(other.token.split('.')[1]!, 'base64url').toString()).jti as string;
        await marker(jti, new Date(Date.now() + 3600_000));
        let status = 0;
        await waitUntil(
          () => status === 401,
          2000,
          "the other replica's revocation",
          async () => {
            status = (await fetch(`${url}/api/auth/me`, { headers: { authorization: `Bearer ${other.token}` } }))
              .status;
          },
        );
      },
    },
    {
      name: 'expired revocation markers are cleaned up',
      run: async () => {
        const jti = 'e'.repeat(32);
        await marker(jti, new Date(Date.now() - 3600_000));
        await waitUntil(() => server.services.revocations.isRevoked(jti), 2000, 'the store to learn the marker');
        assert.ok((await server.services.revocations.cleanup()) >= 1, 'cleanup removed the expired marker');
        const res = await fetch(`${sim.url}/api/v1/namespaces/butler-system/configmaps/${REVOCATION_PREFIX}${jti}`, {
          headers: { authorization: `Bearer ${sim.token}` },
        });
        assert.equal(res.status, 404);
      },
    },
    {
      name: 'clusters list and get',
      run: async () => {
        const list = await expect(200, 'GET', '/api/clusters');
        assert.ok(list.clusters.some((c: any) => c.metadata.name === 'alpha'));
        await expect(200, 'GET', `${C}/alpha`);
      },
    },
    {
      name: 'create, live update, scale, delete a cluster',
      run: async () => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/clusters`, { headers: { cookie, origin: url } });
        const frames: any[] = [];
        ws.on('message', (d) => frames.push(JSON.parse(String(d))));
        try {
          await waitUntil(() => frames.some((f) => f.type === 'snapshot'), 3000, 'live snapshot');
          await expect(201, 'POST', '/api/clusters', { name: 'rbac-new', providerConfigRef: 'pmx' });
          await waitUntil(
            () => frames.some((f) => f.type === 'cluster_update' && JSON.stringify(f).includes('rbac-new')),
            2000,
            'a live cluster_update for the new cluster',
          );
          const scaled = await expect(200, 'PATCH', `${C}/rbac-new/scale`, { replicas: 2 });
          assert.equal(scaled.spec.workers.replicas, 2);
          await expect(200, 'DELETE', `${C}/rbac-new`);
          await waitUntil(
            () => frames.some((f) => f.type === 'cluster_delete' && JSON.stringify(f).includes('rbac-new')),
            2000,
            'a live cluster_delete',
          );
        } finally {
          ws.terminate();
        }
      },
    },
    {
      name: 'kubeconfig, nodes and events of a tenant cluster',
      run: async () => {
        assert.match((await expect(200, 'GET', `${C}/alpha/kubeconfig`)).kubeconfig, /server:/);
        assert.deepEqual(
          (await expect(200, 'GET', `${C}/alpha/nodes`)).nodes.map((n: any) => n.name),
          ['worker-1'],
        );
        assert.equal((await expect(200, 'GET', `${C}/alpha/events`)).events.length, 1);
      },
    },
    {
      name: "a cluster's machines, load balancers, control plane, export and certificates",
      run: async () => {
        assert.equal((await expect(200, 'GET', `${C}/alpha/machines`)).machineRequests.length, 1);
        assert.equal((await expect(200, 'GET', `${C}/alpha/load-balancers`)).loadBalancerRequests.length, 1);
        assert.equal((await expect(200, 'GET', `${C}/alpha/tenantcontrolplane`)).status.replicas, 1);
        const exported = await fetch(`${url}${C}/alpha/export`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(exported.status, 200);
        assert.match(await exported.text(), /kind: TenantCluster/);
        assert.ok((await expect(200, 'GET', `${C}/alpha/certificates`)).certificateCount > 0);
      },
    },
    {
      name: 'edit a cluster (resourceVersion) and rotate its certificates',
      run: async () => {
        const current = await expect(200, 'GET', `${C}/alpha`);
        const replicas = (current.spec.workers.replicas % 3) + 1;
        const edited = await expect(200, 'PUT', `${C}/alpha`, {
          resourceVersion: current.metadata.resourceVersion,
          workers: { replicas },
        });
        assert.equal(edited.spec.workers.replicas, replicas);
        // Kamaji's part, done by the admin: a renewal marked by an earlier run is finished.
        const secret = `${sim.url}/api/v1/namespaces/tn-alpha/secrets/alpha-api-server-certificate`;
        const finish = await fetch(secret, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/merge-patch+json' },
          body: JSON.stringify({ metadata: { annotations: { 'certs.kamaji.clastix.io/rotate': null } } }),
        });
        assert.equal(finish.status, 200, await finish.text());
        const rotation = await expect(202, 'POST', `${C}/alpha/certificates/rotate`, { type: 'all' });
        assert.ok(rotation.affectedSecrets.includes('alpha-api-server-certificate'));
        for (const name of rotation.affectedSecrets as string[]) {
          const done = await fetch(`${sim.url}/api/v1/namespaces/tn-alpha/secrets/${name}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/merge-patch+json' },
            body: JSON.stringify({
              metadata: { annotations: { 'certs.kamaji.clastix.io/rotate': new Date().toISOString() } },
            }),
          });
          assert.equal(done.status, 200, await done.text());
        }
      },
    },
    {
      name: 'addon catalog',
      run: async () => {
        assert.equal((await expect(200, 'GET', '/api/addons/catalog')).addons.length, 1);
        await expect(200, 'GET', '/api/addons/catalog/longhorn');
      },
    },
    {
      name: 'tenant addons: list, install, configure, uninstall',
      run: async () => {
        await expect(200, 'GET', `${C}/alpha/addons`);
        await expect(201, 'POST', `${C}/alpha/addons`, { addon: 'longhorn' });
        await expect(200, 'GET', `${C}/alpha/addons/longhorn`);
        await expect(200, 'PUT', `${C}/alpha/addons/longhorn`, { values: { replicas: 2 } });
        await expect(200, 'DELETE', `${C}/alpha/addons/longhorn`);
      },
    },
    {
      name: 'management addons: list, install, configure, uninstall',
      run: async () => {
        await expect(200, 'GET', '/api/management/addons');
        await expect(201, 'POST', '/api/management/addons', { addon: 'longhorn' });
        await expect(200, 'GET', '/api/management/addons/longhorn');
        await expect(200, 'PUT', '/api/management/addons/longhorn', { values: { replicas: 2 } });
        await expect(200, 'DELETE', '/api/management/addons/longhorn');
      },
    },
    {
      name: 'providers: list, create, validate, delete',
      run: async () => {
        await expect(200, 'GET', '/api/providers');
        await expect(201, 'POST', '/api/providers', {
          name: 'rbac-pmx',
          provider: 'proxmox',
          proxmoxEndpoint: 'https://127.0.0.1:1',
          proxmoxTokenId: 'root@pam!ci',
          proxmoxTokenSecret: 'tok',
          proxmoxNodes: ['pve1'],
          proxmoxStorage: 'local-lvm',
        });
        await expect(200, 'GET', '/api/providers/butler-system/rbac-pmx');
        const v = await expect(200, 'POST', '/api/providers/butler-system/rbac-pmx/validate');
        assert.equal(v.valid, false);
        const stored = await expect(200, 'GET', '/api/providers/butler-system/rbac-pmx');
        assert.ok(stored.status?.lastValidationTime, 'the validation result was recorded');
        const deleted = await expect(200, 'DELETE', '/api/providers/butler-system/rbac-pmx');
        assert.equal(deleted.credentialsDeleted, true, 'the credentials Secret was deleted');
      },
    },
    {
      name: 'kubectl through the management proxy, as the user (impersonated writes)',
      run: async () => {
        const tcs =
          '/api/proxy/management/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters';
        // kubectl get tenantclusters
        assert.ok((await expect(200, 'GET', tcs)).items.some((c: any) => c.metadata.name === 'alpha'));
        await expect(201, 'POST', tcs, {
          apiVersion: 'butler.butlerlabs.dev/v1alpha1',
          kind: 'TenantCluster',
          metadata: { name: 'rbac-proxied' },
          spec: { kubernetesVersion: 'v1.30.2', providerConfigRef: { name: 'pmx' }, workers: { replicas: 1 } },
        });
        // the management cluster decides as the user, through the group butler-api-users
        const review = await expect(
          201,
          'POST',
          '/api/proxy/management/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
          { spec: { resourceAttributes: { group: 'butler.butlerlabs.dev', verb: 'create', resource: 'teams' } } },
        );
        assert.deepEqual(review.status, {
          allowed: true,
          reason:
            'RBAC: allowed by ClusterRoleBinding "butler-api-users" of ClusterRole "butler-api-users" to Group "butler-api-users"',
        });
        await expect(200, 'DELETE', `${tcs}/rbac-proxied`);
      },
    },
    {
      name: 'a new IdentityProvider reaches the sign-in page (the registry watches them)',
      run: async () => {
        const idps = `${sim.url}/apis/butler.butlerlabs.dev/v1alpha1/identityproviders`;
        const admin = { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' };
        await fetch(`${idps}/rbac-idp`, { method: 'DELETE', headers: admin });
        const created = await fetch(idps, {
          method: 'POST',
          headers: admin,
          body: JSON.stringify({
            apiVersion: 'butler.butlerlabs.dev/v1alpha1',
            kind: 'IdentityProvider',
            metadata: { name: 'rbac-idp' },
            spec: {
              type: 'oidc',
              displayName: 'RBAC IdP',
              oidc: {
                issuerURL: 'https://idp.example.test',
                clientID: 'butler',
                clientSecretRef: { name: 'rbac-idp-oidc-secret', namespace: 'butler-system', key: 'client-secret' },
                redirectURL: 'https://butler.example.test/api/auth/callback',
              },
            },
          }),
        });
        assert.equal(created.status, 201, await created.text());
        try {
          let names: string[] = [];
          for (let i = 0; i < 50 && !names.includes('RBAC IdP'); i++) {
            const r = await expect(200, 'GET', '/api/auth/providers');
            names = (r.providers as { name: string }[]).map((p) => p.name);
            if (!names.includes('RBAC IdP')) await new Promise((resolve) => setTimeout(resolve, 100));
          }
          assert.ok(names.includes('RBAC IdP'), `the new provider is listed within 5 s: ${names.join(', ')}`);
        } finally {
          await fetch(`${idps}/rbac-idp`, { method: 'DELETE', headers: admin });
        }
      },
    },
    {
      name: 'an administrator creates, rotates the secret of and deletes an IdentityProvider (the IdP as the user)',
      run: async () => {
        const api = '/api/admin/identity-providers';
        const secretPath = '/api/v1/namespaces/butler-system/secrets/rbac-admin-idp-oidc-secret';
        const secretValue = async () => {
          const r = await fetch(`${sim.url}${secretPath}`, { headers: { authorization: `Bearer ${sim.token}` } });
          if (r.status === 404) return undefined;
          const body = (await r.json()) as { data: Record<string, string> };
          return Buffer.from(body.data['client-secret']!, 'base64').toString('utf8');
        };
        const created = await expect(201, 'POST', api, {
          name: 'rbac-admin-idp',
          displayName: 'RBAC admin IdP',
          issuerURL: 'https://idp.example.test',
          clientID: 'butler',
          clientSecret: 'first-secret',
          redirectURL: 'https://butler.example.test/api/auth/callback',
        });
        assert.equal(created.metadata.name, 'rbac-admin-idp');
        assert.equal(await secretValue(), 'first-secret');
        const listed = await expect(200, 'GET', api);
        assert.ok(listed.identityProviders.some((o: any) => o.metadata.name === 'rbac-admin-idp'));
        const updated = await expect(200, 'PUT', `${api}/rbac-admin-idp`, {
          clientSecret: 'second-secret',
          displayName: 'RBAC admin IdP 2',
        });
        assert.equal(updated.spec.displayName, 'RBAC admin IdP 2');
        assert.equal(await secretValue(), 'second-secret');
        assert.equal((await expect(200, 'DELETE', `${api}/rbac-admin-idp`)).status, 'deleted');
        assert.equal(await secretValue(), undefined, 'the client secret is deleted with its IdentityProvider');
      },
    },
    {
      name: 'management summary, nodes and pods',
      run: async () => {
        const summary = await expect(200, 'GET', '/api/management');
        assert.equal(summary.nodes.total, 1);
        assert.deepEqual(
          summary.systemNamespaces.find((n: any) => n.namespace === 'butler-system'),
          { namespace: 'butler-system', running: 0, total: 1 },
        );
        await expect(200, 'GET', '/api/management/nodes');
        const pods = await expect(200, 'GET', '/api/management/namespaces/butler-system/pods');
        assert.equal(pods.pods.length, 1);
      },
    },
    {
      name: 'management pod terminal (exec)',
      run: async () => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/terminal/management/butler-system/controller`, {
          headers: { cookie, origin: url },
        });
        let out = '';
        let closed: number | undefined;
        ws.on('message', (d) => (out += String(d)));
        ws.on('close', (code) => (closed = code));
        try {
          await waitUntil(() => out.includes('butler-session=') || closed !== undefined, 5000, 'the terminal');
          ws.send(JSON.stringify({ type: 'data', data: 'echo rbac-$((40+2))\r' }));
          await waitUntil(() => out.includes('rbac-42') || closed !== undefined, 5000, 'shell output');
          assert.ok(out.includes('rbac-42'), `terminal closed ${closed}: ${JSON.stringify(out.slice(-300))}`);
        } finally {
          ws.terminate();
        }
      },
    },
    {
      name: 'management shell in a shell pod (create, attach, watch, renew, delete)',
      run: async () => {
        // Limits count the shell pods of every replica, seen through the informer's watch: a pod of "another
        // replica" created now (after the informer's LIST) takes the one slot of the user.
        await waitUntil(() => server.app.terminals.size === 0, 10_000, 'earlier terminal sessions to end');
        const foreign = `${sim.url}/api/v1/namespaces/butler-system/pods/butler-terminal-${'f'.repeat(32)}`;
        const admin = (method: string, path: string, body?: unknown) =>
          fetch(path, {
            method,
            headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
        const created = await admin('POST', `${sim.url}/api/v1/namespaces/butler-system/pods`, {
          metadata: {
            name: `butler-terminal-${'f'.repeat(32)}`,
            labels: {
              'app.kubernetes.io/name': 'butler-terminal',
              'app.kubernetes.io/managed-by': 'butler-server',
              'butler.butlerlabs.dev/terminal-session': 'f'.repeat(32),
            },
            annotations: {
              'butler.butlerlabs.dev/terminal-user': 'admin',
              'butler.butlerlabs.dev/terminal-holder': 'another-replica',
              'butler.butlerlabs.dev/terminal-renewed': new Date().toISOString(),
            },
          },
          spec: { containers: [{ name: 'shell', image: 'elsewhere' }] },
        });
        assert.equal(created.status, 201, await created.text());
        const refusal = async () => {
          const probe = new WebSocket(`${url.replace('http', 'ws')}/ws/terminal/management`, {
            headers: { cookie, origin: url },
          });
          return new Promise<number>((resolve) => {
            probe.on('close', (code) => resolve(code));
            probe.on('message', (d) => {
              if (String(d).includes('butler-session=')) probe.close(1000);
            });
            probe.on('error', () => resolve(0));
          });
        };
        let code = 0;
        await waitUntil(
          () => code === 4429,
          10_000,
          'the other replica’s pod to count',
          async () => {
            code = await refusal();
            if (code !== 4429) await waitUntil(() => server.app.terminals.size === 0, 10_000, 'the probe to end');
          },
        );
        await admin('DELETE', foreign);
        await waitUntil(() => server.app.terminals.size === 0, 10_000, 'the probe to end');
        await waitUntil(
          () => server.app.terminals.shellPods?.counts(new Set()).total === 0,
          10_000,
          'the informer to see the other pod go',
        );

        const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/terminal/management`, {
          headers: { cookie, origin: url },
        });
        let out = '';
        let closed: number | undefined;
        ws.on('message', (d) => (out += String(d)));
        ws.on('close', (code) => (closed = code));
        const podPath = () => {
          const id = /butler-session=([a-f0-9]+)/.exec(out)?.[1];
          return `${sim.url}/api/v1/namespaces/butler-system/pods/butler-terminal-${id}`;
        };
        const pod = async () =>
          fetch(podPath(), { headers: { authorization: `Bearer ${sim.token}` } }).then(async (r) => ({
            status: r.status,
            body: (await r.json()) as any,
          }));
        try {
          await waitUntil(() => /\$ $/.test(out) || closed !== undefined, 20_000, 'the shell prompt');
          assert.ok(closed === undefined, `terminal closed ${closed}: ${JSON.stringify(out.slice(-300))}`);
          // The shell's kubectl works with the terminal ServiceAccount of the deploy manifests.
          ws.send(JSON.stringify({ type: 'data', data: 'kubectl get nodes -o name; echo pod-$((40+2))\r' }));
          await waitUntil(() => out.includes('pod-42') || closed !== undefined, 10_000, 'shell output');
          assert.match(out, /node\/mgmt-1/);
          // The holder renews its pod (heartbeat: a third of the 3 s grace).
          const renewed = (await pod()).body.metadata.annotations['butler.butlerlabs.dev/terminal-renewed'];
          let now = renewed;
          await waitUntil(
            () => now !== renewed,
            10_000,
            'a renewal',
            async () => {
              now = (await pod()).body.metadata.annotations?.['butler.butlerlabs.dev/terminal-renewed'];
            },
          );
          ws.close(1000);
          let status = 200;
          await waitUntil(
            () => status === 404,
            10_000,
            'the shell pod to be deleted',
            async () => {
              status = (await pod()).status;
            },
          );
        } finally {
          ws.terminate();
        }
      },
    },
    {
      name: 'teams: create, add a member, delete',
      run: async () => {
        await expect(201, 'POST', '/api/admin/teams', { name: 'rbac-team' });
        await expect(201, 'POST', '/api/admin/teams/rbac-team/members', {
          email: 'member@example.com',
          role: 'operator',
        });
        await expect(200, 'DELETE', '/api/admin/teams/rbac-team');
      },
    },
    {
      name: 'users: invite, set a password, log in, disable, delete',
      run: async () => {
        const invited = await expect(201, 'POST', '/api/admin/users', { email: 'rbac-user@example.com' });
        const inviteToken = /\/invite\/([0-9a-f]{64})$/.exec(invited.inviteUrl)![1];
        const set = await fetch(`${url}/api/auth/set-password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token: inviteToken, password: 'Rbac-secret-42' }),
        });
        assert.equal(set.status, 200, await set.text());
        const login = await fetch(`${url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'rbac-user', password: 'Rbac-secret-42' }),
        });
        assert.equal(login.status, 200, await login.text());
        await expect(200, 'POST', '/api/admin/users/rbac-user/disable');
        await expect(200, 'DELETE', '/api/admin/users/rbac-user');
      },
    },
    {
      name: 'logout revokes the session',
      run: async () => {
        await expect(200, 'POST', '/api/auth/logout');
        const me = await call('GET', '/api/auth/me');
        assert.equal(me.status, 401, me.text);
      },
    },
  ];
  for (const step of steps) {
    try {
      await step.run();
    } catch (err) {
      throw new Error(`step "${step.name}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    completed.push(step.name);
  }
}

export async function waitUntil(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  probe?: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await probe?.();
    if (cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
