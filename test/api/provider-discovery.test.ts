// Provider discovery against the demo's provider stand-ins over real HTTP(S): a second simulator as the Harvester
// cluster (its images and networks), the Prism Central and Proxmox VE stand-ins (self-signed TLS); with the errors:
// 404 unknown provider, 400 unsupported listing or unusable credentials, 403 without team access, 502 for a refused
// login, a certificate that does not verify and an address the guard blocks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { harvesterCrds, harvesterResources } from '../../demo/harvester-resources.js';
import { startProviderEndpoints, type ProviderEndpoints } from '../../demo/provider-endpoints.js';
import type { Identity } from '../../src/auth/session.js';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { ns, startApiEnv, type ApiEnv } from './fixture.js';

const API = 'butler.butlerlabs.dev/v1alpha1';
const secret = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'butler-system' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const provider = (name: string, spec: Record<string, unknown>, credentials = `${name}-credentials`) => ({
  apiVersion: API,
  kind: 'ProviderConfig',
  metadata: { name, namespace: 'butler-system' },
  spec: { credentialsRef: { name: credentials, namespace: 'butler-system' }, ...spec },
});
const nutanixSpec = (endpoint: string, insecure: boolean) => ({
  provider: 'nutanix',
  nutanix: {
    endpoint,
    insecure,
    clusterUUID: '0005a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
    subnetUUID: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
  },
});

let harvester: Simulator;
let endpoints: ProviderEndpoints;
let env: ApiEnv;

before(async () => {
  harvester = await startSimulator({ crds: harvesterCrds(), seed: harvesterResources() });
  endpoints = await startProviderEndpoints({
    nutanix: { username: 'admin', password: 'prism-pass-1' },
    proxmox: { tokenId: 'butler@pve!test', tokenSecret: 'pve-secret-1' },
  });
  const { nutanix, proxmox } = endpoints.credentials;
  const seed = [
    ns('butler-system'),
    ns('butler-tenants'),
    secret('harvester-credentials', { kubeconfig: harvester.kubeconfig }),
    provider('harvester', { provider: 'harvester' }),
    secret('nutanix-credentials', nutanix),
    provider('nutanix', nutanixSpec(endpoints.nutanixUrl, true)),
    provider('nutanix-strict', nutanixSpec(endpoints.nutanixUrl, false), 'nutanix-credentials'),
    secret('nutanix-wrong-credentials', { username: 'admin', password: 'wrong' }),
    provider('nutanix-wrong', nutanixSpec(endpoints.nutanixUrl, true)),
    provider('nutanix-metadata', nutanixSpec('https://169.254.169.254', true), 'nutanix-credentials'),
    secret('proxmox-credentials', proxmox),
    provider('proxmox', {
      provider: 'proxmox',
      proxmox: { endpoint: endpoints.proxmoxUrl, insecure: true, nodes: ['pve1', 'pve2'], storage: 'local-lvm' },
    }),
    provider('proxmox-nosecret', {
      provider: 'proxmox',
      proxmox: { endpoint: endpoints.proxmoxUrl, insecure: true, nodes: ['pve1'], storage: 'local-lvm' },
    }),
    {
      apiVersion: API,
      kind: 'User',
      metadata: { name: 'loner' },
      spec: { authType: 'internal', email: 'loner@example.com' },
    },
  ];
  env = await startApiEnv({ seed, env: { BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8' } });
});
after(async () => {
  await env?.close();
  await endpoints?.stop();
  await harvester?.stop();
});

const get = (provider: string, what: string) => env.api('GET', `/api/providers/butler-system/${provider}/${what}`);

describe('provider discovery', () => {
  it('Harvester: images and networks from the cluster API; no clusters or storage containers', async () => {
    const images = await get('harvester', 'images');
    assert.equal(images.status, 200, JSON.stringify(images.body));
    assert.deepEqual(images.body.images, [
      {
        name: 'Talos Linux 1.8.3',
        id: 'default/talos-1-8',
        os: 'talos',
        description: 'Talos nocloud image for Butler workers',
      },
      { name: 'Ubuntu 24.04 LTS', id: 'default/ubuntu-24-04', os: 'ubuntu' },
    ]);
    const networks = await get('harvester', 'networks');
    assert.equal(networks.status, 200, JSON.stringify(networks.body));
    assert.deepEqual(networks.body.networks, [
      { name: 'vlan40-workloads', id: 'default/vlan40-workloads', vlan: 40, description: 'vlan40-workloads (VLAN 40)' },
      { name: 'vlan60-edge', id: 'default/vlan60-edge', vlan: 60, description: 'vlan60-edge (VLAN 60)' },
    ]);
    for (const what of ['clusters', 'storage-containers']) {
      const res = await get('harvester', what);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error, `${what} cannot be listed for harvester providers`);
    }
  });

  it('Nutanix: images, subnets, Prism Element clusters (not Prism Central) and storage containers', async () => {
    const images = await get('nutanix', 'images');
    assert.equal(images.status, 200, JSON.stringify(images.body));
    assert.deepEqual(
      images.body.images.map((i: any) => [i.name, i.id, i.os]),
      [
        ['rocky-9.4', '7c0a4f1e-2b3d-4e5f-8a9b-0c1d2e3f4a02', 'rocky'],
        ['talos-1.8.3-nocloud', '7c0a4f1e-2b3d-4e5f-8a9b-0c1d2e3f4a01', 'talos'],
      ],
    );
    const networks = await get('nutanix', 'networks');
    assert.deepEqual(
      networks.body.networks.map((n: any) => [n.name, n.vlan]),
      [
        ['storage-130', 130],
        ['vm-network-120', 120],
      ],
    );
    const clusters = await get('nutanix', 'clusters');
    assert.deepEqual(clusters.body, {
      clusters: [{ name: 'demo-ahv-cluster', id: '0005a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b' }],
    });
    const containers = await get('nutanix', 'storage-containers');
    assert.deepEqual(
      containers.body.storageContainers.map((c: any) => c.name),
      ['butler-vms', 'default-container'],
    );
  });

  it('Proxmox: templates, bridges and storages of the configured nodes, merged across nodes', async () => {
    const images = await get('proxmox', 'images');
    assert.equal(images.status, 200, JSON.stringify(images.body));
    assert.deepEqual(images.body.images, [
      { name: 'talos-1-8-template', id: '9000', os: 'talos', description: 'template 9000', nodes: ['pve1'] },
      { name: 'ubuntu-24-04-template', id: '9001', os: 'ubuntu', description: 'template 9001', nodes: ['pve2'] },
    ]);
    const networks = await get('proxmox', 'networks');
    assert.deepEqual(networks.body.networks, [
      { name: 'vmbr0', id: 'vmbr0', description: 'LAN', nodes: ['pve1', 'pve2'] },
      { name: 'vmbr1', id: 'vmbr1', nodes: ['pve1'] },
    ]);
    const storages = await get('proxmox', 'storage-containers');
    assert.deepEqual(
      storages.body.storageContainers.map((s: any) => [s.name, s.description, s.nodes]),
      [
        ['ceph-vm', 'rbd', ['pve1', 'pve2']],
        ['local-lvm', 'lvmthin', ['pve1', 'pve2']],
      ],
    );
    assert.equal((await get('proxmox', 'clusters')).status, 400);
  });

  it('404 for an unknown provider, 400 for unusable credentials, 403 without team access', async () => {
    const missing = await get('nope', 'images');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'ProviderConfig "butler-system/nope" not found');
    const noSecret = await get('proxmox-nosecret', 'images');
    assert.equal(noSecret.status, 400, JSON.stringify(noSecret.body));
    assert.match(
      noSecret.body.error,
      /cannot be queried: credentials Secret "butler-system\/proxmox-nosecret-credentials" not found/,
    );
    const loner: Identity = {
      subject: 'internal:loner',
      username: 'loner',
      email: 'loner@example.com',
      name: 'Loner',
      provider: 'internal',
      groups: [],
    };
    const token = (await env.server.app.butlerAuth.tokens.issue(loner)).token;
    const res = await fetch(`${env.server.url}/api/providers/butler-system/nutanix/images`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 403);
    assert.deepEqual(await res.json(), { error: 'no team access - contact your administrator' });
  });

  it('502 with the reason for a refused login, an unverified certificate and a blocked address', async () => {
    const wrong = await get('nutanix-wrong', 'images');
    assert.equal(wrong.status, 502, JSON.stringify(wrong.body));
    assert.equal(wrong.body.details.reason, 'AuthenticationFailed');
    assert.match(
      wrong.body.error,
      /^could not list images of provider "butler-system\/nutanix-wrong": authentication failed/,
    );
    const strict = await get('nutanix-strict', 'networks');
    assert.equal(strict.status, 502, JSON.stringify(strict.body));
    assert.equal(strict.body.details.reason, 'TLSError');
    const blocked = await get('nutanix-metadata', 'clusters');
    assert.equal(blocked.status, 502, JSON.stringify(blocked.body));
    assert.equal(blocked.body.details.reason, 'Blocked');
    assert.match(blocked.body.error, /169\.254\.169\.254 is not allowed/);
    for (const body of [wrong.body, strict.body, blocked.body])
      assert.doesNotMatch(JSON.stringify(body), /prism-pass-1/);
  });
});
