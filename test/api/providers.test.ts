import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { sendJson, startTlsServer, type TlsTestServer } from '../helpers/tls-server.js';
import { baseSeed, ns, providerConfig, simGet, simPost, startApiEnv, type ApiEnv } from './fixture.js';

const PC = '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-system/providerconfigs';
const SECRETS = '/api/v1/namespaces/butler-system/secrets';
const UUID1 = '11111111-2222-3333-4444-555555555555';
const UUID2 = '11111111-2222-3333-4444-666666666666';

const execKubeconfig = (server: string, marker: string) =>
  JSON.stringify({
    clusters: [{ name: 'c', cluster: { server } }],
    users: [
      {
        name: 'u',
        user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'touch', args: [marker] } },
      },
    ],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });

describe('providers API', () => {
  let env: ApiEnv;
  let harvester: Simulator;
  let prism: TlsTestServer;
  let pve: TlsTestServer;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'butler-providers-'));
    harvester = await startSimulator({});
    prism = await startTlsServer((req, res) => {
      if (req.headers.authorization === `Basic ${Buffer.from('admin:pw').toString('base64')}`)
        return sendJson(res, 200, { metadata: { kind: 'cluster' }, entities: [] });
      sendJson(res, 401, {});
    });
    pve = await startTlsServer((req, res) => {
      if (req.headers.authorization === 'PVEAPIToken=root@pam!ci=tok')
        return sendJson(res, 200, { data: { version: '8.2.4' } });
      sendJson(res, 401, { data: null });
    });
    env = await startApiEnv({
      seed: [
        ...baseSeed(),
        ns('other'),
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'shared-credentials', namespace: 'butler-system' },
          data: { username: Buffer.from('u').toString('base64'), password: Buffer.from('p').toString('base64') },
        },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name: 'foreign',
            namespace: 'other',
            labels: { 'app.kubernetes.io/managed-by': 'butler', 'butler.butlerlabs.dev/provider': 'fx' },
          },
          data: { username: Buffer.from('u').toString('base64'), password: Buffer.from('p').toString('base64') },
        },
        providerConfig('shared', {
          provider: 'nutanix',
          credentialsRef: { name: 'shared-credentials' },
          nutanix: { endpoint: 'https://pc.example', clusterUUID: UUID1, subnetUUID: UUID2 },
        }),
        providerConfig('fx', {
          provider: 'nutanix',
          credentialsRef: { name: 'foreign', namespace: 'other' },
          nutanix: { endpoint: 'https://pc.example', clusterUUID: UUID1, subnetUUID: UUID2 },
        }),
      ],
      env: { BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8' },
    });
  });
  after(async () => {
    await env?.close();
    await harvester?.stop();
    await prism?.close();
    await pve?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a nutanix provider with the schema-required fields: Secret + ProviderConfig', async () => {
    const res = await env.api('POST', '/api/providers', {
      name: 'nx',
      provider: 'nutanix',
      nutanixEndpoint: 'https://prism.example:9440',
      nutanixUsername: 'admin',
      nutanixPassword: 's3cret',
      nutanixClusterUUID: UUID1,
      nutanixSubnetUUID: UUID2,
      harvesterNamespace: '',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.spec, {
      provider: 'nutanix',
      credentialsRef: { name: 'nx-credentials', namespace: 'butler-system' },
      nutanix: {
        endpoint: 'https://prism.example:9440',
        port: 9440,
        insecure: false,
        clusterUUID: UUID1,
        subnetUUID: UUID2,
      },
    });
    const secret = await simGet(env.sim, `${SECRETS}/nx-credentials`);
    assert.equal(secret.body.type, 'Opaque');
    assert.equal(secret.body.metadata.labels['app.kubernetes.io/managed-by'], 'butler');
    assert.equal(secret.body.metadata.labels['butler.butlerlabs.dev/provider'], 'nx');
    assert.equal(Buffer.from(secret.body.data.password, 'base64').toString(), 's3cret');
    const list = await env.api('GET', '/api/providers');
    assert.ok(
      list.body.providers.some((p: any) => p.metadata.name === 'nx'),
      'read-your-writes on the provider list',
    );
    assert.equal(JSON.stringify(list.body).includes('s3cret'), false);
    const one = await env.api('GET', '/api/providers/butler-system/nx');
    assert.equal(one.status, 200);
    assert.equal(one.body.spec.provider, 'nutanix');
  });

  it('creates a proxmox provider (token pair preferred) and a harvester provider', async () => {
    const res = await env.api('POST', '/api/providers', {
      name: 'px',
      provider: 'proxmox',
      proxmoxEndpoint: 'https://pve.example:8006',
      proxmoxTokenId: 'root@pam!ci',
      proxmoxTokenSecret: 'tok',
      proxmoxUsername: 'root@pam',
      proxmoxPassword: 'pw',
      proxmoxNodes: ['pve1', 'pve2'],
      proxmoxStorage: 'local-lvm',
      proxmoxTemplateID: 9000,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.spec.proxmox, {
      endpoint: 'https://pve.example:8006',
      insecure: false,
      nodes: ['pve1', 'pve2'],
      storage: 'local-lvm',
      templateID: 9000,
    });
    const secret = await simGet(env.sim, `${SECRETS}/px-credentials`);
    assert.deepEqual(Object.keys(secret.body.data).sort(), ['tokenId', 'tokenSecret']);
    const h = await env.api('POST', '/api/providers', {
      name: 'hv',
      provider: 'harvester',
      harvesterKubeconfig: harvester.kubeconfig,
      harvesterNetworkName: 'default/vlan40',
      harvesterImageName: 'default/img',
    });
    assert.equal(h.status, 201, JSON.stringify(h.body));
    assert.deepEqual(h.body.spec.credentialsRef, {
      name: 'hv-credentials',
      namespace: 'butler-system',
      key: 'kubeconfig',
    });
    // namespace: the CRD's default
    assert.deepEqual(h.body.spec.harvester, {
      networkName: 'default/vlan40',
      imageName: 'default/img',
      namespace: 'default',
    });
  });

  it('400 naming the missing or bad fields', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ provider: 'aws' }, 'provider: must be one of harvester, nutanix, proxmox'],
      [
        { provider: 'nutanix', nutanixEndpoint: 'https://p', nutanixUsername: 'a', nutanixPassword: 'b' },
        'nutanix providers also need nutanixClusterUUID and nutanixSubnetUUID (required by the ProviderConfig schema)',
      ],
      [
        { provider: 'proxmox', proxmoxEndpoint: 'https://p', proxmoxTokenId: 'a@b!c', proxmoxTokenSecret: 'x' },
        'proxmox providers also need proxmoxNodes and proxmoxStorage (required by the ProviderConfig schema)',
      ],
      [
        {
          provider: 'proxmox',
          proxmoxEndpoint: 'https://p',
          proxmoxTokenId: 'a@b!c',
          proxmoxNodes: ['a'],
          proxmoxStorage: 's',
        },
        'proxmox needs proxmoxTokenId and proxmoxTokenSecret, or proxmoxUsername and proxmoxPassword',
      ],
      [
        { provider: 'proxmox', proxmoxEndpoint: 'https://p', proxmoxTokenId: 'nope' },
        'proxmoxTokenId: must look like user@realm!token',
      ],
      [
        { provider: 'proxmox', proxmoxEndpoint: 'https://p', proxmoxNodes: ['ok', 'bad node'] },
        'proxmoxNodes[1]: must be a Proxmox node name',
      ],
      [{ provider: 'nutanix', nutanixEndpoint: 'ftp://x' }, 'nutanixEndpoint: must be an http:// or https:// URL'],
      [
        { provider: 'nutanix', nutanixEndpoint: 'https://u:p@x' },
        'nutanixEndpoint: must be an http:// or https:// URL',
      ],
      [{ provider: 'nutanix', nutanixPort: 70000 }, 'nutanixPort: must be an integer between 1 and 65535'],
      [
        { provider: 'harvester', harvesterKubeconfig: harvester.kubeconfig, harvesterImageName: 'default/img' },
        'harvesterImageName requires harvesterNetworkName',
      ],
      [
        { provider: 'harvester', harvesterKubeconfig: harvester.kubeconfig, harvesterNetworkName: 'vlan40' },
        'harvesterNetworkName: must be namespace/name',
      ],
      [{ provider: 'harvester' }, 'harvesterKubeconfig: is required'],
      [{ provider: 'nutanix', namespace: 'other' }, 'namespace: providers can only be created in butler-system'],
    ];
    for (const [patch, message] of cases) {
      const res = await env.api('POST', '/api/providers', { name: 'bad', ...patch });
      assert.equal(res.status, 400, `${JSON.stringify(patch)} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, message);
    }
    assert.equal((await simGet(env.sim, `${SECRETS}/bad-credentials`)).status, 404);
  });

  it('409 for an existing ProviderConfig or Secret; an existing Secret is not overwritten', async () => {
    const body = {
      name: 'nx',
      provider: 'nutanix',
      nutanixEndpoint: 'https://p',
      nutanixUsername: 'a',
      nutanixPassword: 'other',
      nutanixClusterUUID: UUID1,
      nutanixSubnetUUID: UUID2,
    };
    const dup = await env.api('POST', '/api/providers', body);
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error, 'ProviderConfig "butler-system/nx" already exists');
    await simPost(env.sim, SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'taken-credentials' },
      data: { a: 'Yg==' },
    });
    const taken = await env.api('POST', '/api/providers', { ...body, name: 'taken' });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error, 'Secret "butler-system/taken-credentials" already exists');
    assert.deepEqual((await simGet(env.sim, `${SECRETS}/taken-credentials`)).body.data, { a: 'Yg==' });
  });

  it('the credentials Secret is removed again when the ProviderConfig create fails', async () => {
    env.sim.faults.failNext(1, { status: 500, path: /providerconfigs/ });
    const res = await env.api('POST', '/api/providers', {
      name: 'failing',
      provider: 'proxmox',
      proxmoxEndpoint: 'https://pve:8006',
      proxmoxUsername: 'root@pam',
      proxmoxPassword: 'pw',
      proxmoxNodes: ['pve1'],
      proxmoxStorage: 'local',
    });
    assert.ok(res.status === 409 || res.status === 502, `status ${res.status}: ${JSON.stringify(res.body)}`);
    assert.equal((await simGet(env.sim, `${SECRETS}/failing-credentials`)).status, 404);
    assert.equal((await simGet(env.sim, `${PC}/failing`)).status, 404);
  });

  it('POST /test: a simulator plays Harvester; Prism and Proxmox servers with right and wrong credentials, TLS both ways', async () => {
    const ok = await env.api('POST', '/api/providers/test', {
      provider: 'harvester',
      harvesterKubeconfig: harvester.kubeconfig,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.valid, true);
    assert.match(ok.body.message, /^Connected successfully \(Kubernetes v\d+\.\d+\.\d+.*\)$/);
    const nx = (extra: object) =>
      env.api('POST', '/api/providers/test', {
        provider: 'nutanix',
        nutanixEndpoint: prism.url,
        nutanixUsername: 'admin',
        ...extra,
      });
    assert.deepEqual((await nx({ nutanixPassword: 'pw', nutanixInsecure: true })).body, {
      valid: true,
      message: 'Connected to Nutanix Prism Central successfully',
    });
    assert.deepEqual((await nx({ nutanixPassword: 'bad', nutanixInsecure: true })).body, {
      valid: false,
      message: 'authentication failed: invalid credentials (HTTP 401)',
    });
    const tls = await nx({ nutanixPassword: 'pw' });
    assert.equal(tls.body.valid, false);
    assert.match(tls.body.message, /^TLS verification failed: /);
    const pm = await env.api('POST', '/api/providers/test', {
      provider: 'proxmox',
      proxmoxEndpoint: pve.url,
      proxmoxInsecure: true,
      proxmoxTokenId: 'root@pam!ci',
      proxmoxTokenSecret: 'tok',
    });
    assert.deepEqual(pm.body, { valid: true, message: 'Connected to Proxmox VE successfully (version 8.2.4)' });
  });

  it('untrusted kubeconfigs: exec, auth-provider and client-key paths are refused and nothing runs or is read', async () => {
    const marker = join(dir, 'exec-ran');
    const exec = await env.api('POST', '/api/providers/test', {
      provider: 'harvester',
      harvesterKubeconfig: execKubeconfig(harvester.url, marker),
    });
    assert.equal(exec.status, 400);
    assert.equal(
      exec.body.error,
      'harvesterKubeconfig: users[0].user.exec is not allowed; only inline credentials are accepted',
    );
    const create = await env.api('POST', '/api/providers', {
      name: 'evil',
      provider: 'harvester',
      harvesterKubeconfig: execKubeconfig(harvester.url, marker),
    });
    assert.equal(create.status, 400);
    const authProvider = await env.api('POST', '/api/providers/test', {
      provider: 'harvester',
      harvesterKubeconfig: JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: harvester.url } }],
        users: [{ name: 'u', user: { 'auth-provider': { name: 'oidc', config: {} } } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    });
    assert.equal(
      authProvider.body.error,
      'harvesterKubeconfig: users[0].user.auth-provider is not allowed; only inline credentials are accepted',
    );
    const keyFile = await env.api('POST', '/api/providers/test', {
      provider: 'harvester',
      harvesterKubeconfig: JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: harvester.url } }],
        users: [{ name: 'u', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key': '/etc/shadow' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    });
    assert.equal(
      keyFile.body.error,
      'harvesterKubeconfig: users[0].user.client-key is not allowed; only inline credentials are accepted',
    );
    // A stored one is a validation result, still never executed.
    await simPost(env.sim, SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'evil-stored' },
      data: { kubeconfig: Buffer.from(execKubeconfig(harvester.url, marker)).toString('base64') },
    });
    await simPost(
      env.sim,
      PC,
      providerConfig('evil-stored', { provider: 'harvester', credentialsRef: { name: 'evil-stored' } }),
    );
    const validated = await env.api('POST', '/api/providers/butler-system/evil-stored/validate');
    assert.equal(validated.status, 200);
    assert.deepEqual(validated.body, {
      valid: false,
      message: 'kubeconfig rejected: users[0].user.exec is not allowed; only inline credentials are accepted',
      recorded: true,
    });
    assert.equal(existsSync(marker), false, 'the exec plugin ran');
  });

  it('validate records the result in the status; a missing provider is 404; a missing Secret is a result', async () => {
    await simPost(env.sim, SECRETS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pve-creds' },
      data: {
        tokenId: Buffer.from('root@pam!ci').toString('base64'),
        tokenSecret: Buffer.from('tok').toString('base64'),
      },
    });
    await simPost(
      env.sim,
      PC,
      providerConfig('pve-ok', {
        provider: 'proxmox',
        credentialsRef: { name: 'pve-creds' },
        proxmox: { endpoint: pve.url, insecure: true, nodes: ['pve1'], storage: 'local' },
      }),
    );
    const ok = await env.api('POST', '/api/providers/butler-system/pve-ok/validate', '');
    assert.deepEqual(ok.body, {
      valid: true,
      message: 'Connected to Proxmox VE successfully (version 8.2.4)',
      recorded: true,
    });
    const stored = await simGet(env.sim, `${PC}/pve-ok`);
    assert.equal(stored.body.status.validated, true);
    assert.equal(stored.body.status.providerVersion, '8.2.4');
    const cond = stored.body.status.conditions.find((c: any) => c.type === 'Validated');
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'Connected');
    assert.ok(cond.lastTransitionTime);
    const viaApi = await env.api('GET', '/api/providers/butler-system/pve-ok');
    assert.equal(viaApi.body.status.validated, true, 'read-your-writes after validate');
    const missing = await env.api('POST', '/api/providers/butler-system/ghost/validate', {});
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'ProviderConfig "butler-system/ghost" not found');
    const noSecret = await env.api('POST', '/api/providers/butler-system/ntnx/validate', {});
    assert.deepEqual(noSecret.body, {
      valid: false,
      message: 'credentials Secret "butler-system/ntnx-credentials" not found',
      recorded: true,
    });
    const reason = (await simGet(env.sim, `${PC}/ntnx`)).body.status.conditions[0].reason;
    assert.equal(reason, 'InvalidCredentials');
  });

  it('delete: refuses while clusters use it; removes only its own labelled Secret in its namespace', async () => {
    const created = await env.api('POST', '/api/clusters', { name: 'user1', providerConfigRef: 'pmx' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const inUse = await env.api('DELETE', '/api/providers/butler-system/pmx');
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.error, 'provider "butler-system/pmx" is still used by clusters: butler-tenants/user1');
    const own = await env.api('DELETE', '/api/providers/butler-system/px');
    assert.deepEqual(own.body, { message: 'provider deleted', credentialsDeleted: true });
    assert.equal((await simGet(env.sim, `${SECRETS}/px-credentials`)).status, 404);
    const shared = await env.api('DELETE', '/api/providers/butler-system/shared');
    assert.deepEqual(shared.body, { message: 'provider deleted', credentialsDeleted: false });
    assert.equal((await simGet(env.sim, `${SECRETS}/shared-credentials`)).status, 200, 'unlabelled Secret left alone');
    const foreign = await env.api('DELETE', '/api/providers/butler-system/fx');
    assert.deepEqual(foreign.body, { message: 'provider deleted', credentialsDeleted: false });
    assert.equal(
      (await simGet(env.sim, '/api/v1/namespaces/other/secrets/foreign')).status,
      200,
      'Secret in another namespace left alone',
    );
    const gone = await env.api('DELETE', '/api/providers/butler-system/px');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error, 'ProviderConfig "butler-system/px" not found');
  });
});

describe('provider checks: address guard and limits', () => {
  let env: ApiEnv;
  let slow: TlsTestServer;
  before(async () => {
    slow = await startTlsServer((_req, res) => {
      setTimeout(() => sendJson(res, 200, { data: { version: '8' } }), 400);
    });
    env = await startApiEnv({
      env: {
        BUTLER_PROVIDER_MAX_CHECKS_PER_USER: '1',
        BUTLER_PROVIDER_NAMESPACES: 'butler-system,ghost-ns',
        BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.2/32',
        BUTLER_PROVIDER_CHECK_TIMEOUT: '2s',
      },
    });
  });
  after(async () => {
    await env?.close();
    await slow?.close();
  });

  it('blocks 127.0.0.1 by default', async () => {
    const res = await env.api('POST', '/api/providers/test', {
      provider: 'proxmox',
      proxmoxEndpoint: slow.url,
      proxmoxTokenId: 'a@b!c',
      proxmoxTokenSecret: 'x',
    });
    assert.deepEqual(res.body, {
      valid: false,
      message: 'endpoint address 127.0.0.1 is not allowed (blocked range 127.0.0.0/8)',
    });
  });

  it('404 for a provider namespace that does not exist', async () => {
    const res = await env.api('POST', '/api/providers', {
      name: 'x',
      namespace: 'ghost-ns',
      provider: 'proxmox',
      proxmoxEndpoint: 'https://pve:8006',
      proxmoxUsername: 'root@pam',
      proxmoxPassword: 'pw',
      proxmoxNodes: ['pve1'],
      proxmoxStorage: 'local',
    });
    assert.equal(res.status, 404, JSON.stringify(res.body));
    assert.equal(res.body.error, 'namespace "ghost-ns" not found');
  });

  it('429 when the per-user limit is reached', async () => {
    // 127.0.0.2 is allowed here; a listener that accepts and never answers keeps the first check in flight.
    const silent = createNetServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.2', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const body = {
        provider: 'proxmox',
        proxmoxEndpoint: `http://127.0.0.2:${port}`,
        proxmoxTokenId: 'a@b!c',
        proxmoxTokenSecret: 'x',
      };
      const first = env.api('POST', '/api/providers/test', body);
      await new Promise((r) => setTimeout(r, 300));
      const second = await env.api('POST', '/api/providers/test', body);
      assert.equal(second.status, 429);
      assert.equal(second.body.error, 'too many provider checks in progress');
      const started = Date.now();
      const timedOut = await first;
      assert.deepEqual(timedOut.body, { valid: false, message: 'connection failed: no answer within 2 s' });
      assert.ok(Date.now() - started < 3000);
      const third = await env.api('POST', '/api/providers/test', { ...body, proxmoxEndpoint: 'http://127.0.0.1:1' });
      assert.equal(third.status, 200, 'the slot was released');
    } finally {
      silent.close();
    }
  });
});
