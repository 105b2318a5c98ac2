// The newcomer's kubectl path in the demo: download kubeconfigs from butler-server (management and a Ready tenant),
// run the machine's real kubectl with them against the demo's HTTPS listener, and check what the kubeconfig and its
// kubectl token may and may not do: proxy only, Bearer only, revocable without ending the browser session.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import yaml from 'js-yaml';
import { runCommand } from '../sim/test-process.js';
import { lineCollector } from '../test/helpers/server.js';
import { startDemo, type Demo } from './main.js';

const KUBECTL = '/usr/bin/kubectl';
const RUN_TIMEOUT_MS = 30_000;

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users: { name: string; user: { token: string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  'current-context': string;
}

describe('kubectl through butler-server in the demo', { skip: !existsSync(KUBECTL) && 'no /usr/bin/kubectl' }, () => {
  let demo: Demo;
  let home: string;
  let session: string;
  const logs: string[] = [];

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${demo.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${session}`, ...(init.headers as Record<string, string>) },
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
  };

  async function download(path: string, file: string) {
    const res = await api(path);
    assert.equal(res.status, 200, res.text);
    const body = res.json() as { kubeconfig: string; tokenId: string; expiresAt: string };
    writeFileSync(join(home, file), body.kubeconfig);
    return { ...body, parsed: yaml.load(body.kubeconfig) as Kubeconfig };
  }

  const kubectl = (file: string, ...args: string[]) =>
    runCommand(KUBECTL, ['--kubeconfig', join(home, file), ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      timeoutMs: RUN_TIMEOUT_MS,
    });

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'butler-demo-kubectl-'));
    demo = await startDemo({ addr: '127.0.0.1:0', logStream: lineCollector(logs), env: { BUTLER_LOG_LEVEL: 'info' } });
    const login = await fetch(`${demo.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: demo.username, password: demo.password }),
    });
    session = ((await login.json()) as { token: string }).token;
  });
  after(async () => {
    await demo?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('kubectl get nodes works against the management cluster and a Ready tenant cluster', async () => {
    assert.match(demo.kubectlUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const mgmt = await download('/api/management/kubeconfig', 'management.yaml');
    assert.equal(mgmt.parsed.clusters[0]!.cluster.server, `${demo.kubectlUrl}/api/proxy/management`);
    assert.ok(mgmt.parsed.clusters[0]!.cluster['certificate-authority-data'], 'the demo CA is embedded');
    const nodes = await kubectl('management.yaml', 'get', 'nodes', '-o', 'name');
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(nodes.stdout, /^node\/mgmt-cp-1$/m);

    const prod = await download('/api/clusters/butler-tenants/production/kubeconfig?via=butler', 'production.yaml');
    assert.equal(
      prod.parsed.clusters[0]!.cluster.server,
      `${demo.kubectlUrl}/api/proxy/tenant/butler-tenants/production`,
    );
    const tenantNodes = await kubectl('production.yaml', 'get', 'nodes', '-o', 'name');
    assert.equal(tenantNodes.code, 0, tenantNodes.stderr);
    assert.match(tenantNodes.stdout, /^node\/production-cp-1$/m);

    // Never the cluster's own credentials: the only credential is a butler-server kubectl token.
    assert.notEqual(prod.parsed.users[0]!.user.token, session);
    assert.deepEqual(Object.keys(prod.parsed.users[0]!.user), ['token']);

    // Both merge into one KUBECONFIG without a name clash.
    const merged = await runCommand(KUBECTL, ['config', 'get-contexts', '-o', 'name'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        KUBECONFIG: `${join(home, 'management.yaml')}:${join(home, 'production.yaml')}`,
      },
      timeoutMs: RUN_TIMEOUT_MS,
    });
    assert.equal(merged.stdout.trim().split('\n').length, 2, merged.stdout);

    const audit = logs.filter((l) => l.includes('"kubectl-token.issue"'));
    assert.equal(audit.length, 2, 'each issued kubectl token is audited');
    assert.ok(audit[0]!.includes(mgmt.tokenId));
    assert.ok(!logs.some((l) => l.includes(mgmt.parsed.users[0]!.user.token)), 'no token in the logs');
  });

  it('the simulated world is consistent: pods 1/1, versions agree, endpoint and kubeconfig use https, unique names', async () => {
    await download('/api/management/kubeconfig', 'world-mgmt.yaml');
    await download('/api/clusters/butler-tenants/production/kubeconfig?via=butler', 'world-prod.yaml');
    const pods = await kubectl('world-prod.yaml', 'get', 'pods', '-A', '--no-headers');
    assert.equal(pods.code, 0, pods.stderr);
    const rows = pods.stdout.trim().split('\n');
    assert.ok(rows.length >= 4);
    for (const row of rows) assert.match(row, /\s1\/1\s+Running\s/, row);
    const mgmtPods = await kubectl('world-mgmt.yaml', 'get', 'pods', '-n', 'kube-system', '--no-headers');
    assert.equal(mgmtPods.code, 0, mgmtPods.stderr);
    for (const row of mgmtPods.stdout
      .trim()
      .split('\n')
      .filter((r) => r.includes('Running')))
      assert.match(row, /\s(\d+)\/\1\s+Running\s/, row);

    const cluster = (await api('/api/clusters/butler-tenants/production')).json() as {
      spec: { kubernetesVersion: string };
      status: { controlPlaneEndpoint?: string };
    };
    const requested = cluster.spec.kubernetesVersion;
    const version = await kubectl('world-prod.yaml', 'version', '-o', 'json');
    const server = (JSON.parse(version.stdout) as { serverVersion: { gitVersion: string } }).serverVersion;
    assert.equal(server.gitVersion, requested);
    const nodes = await kubectl(
      'world-prod.yaml',
      'get',
      'nodes',
      '-o',
      'jsonpath={.items[*].status.nodeInfo.kubeletVersion}',
    );
    assert.deepEqual([...new Set(nodes.stdout.split(' '))], [requested]);
    const mgmtVersion = await kubectl('world-mgmt.yaml', 'version', '-o', 'json');
    const mgmtNodes = await kubectl(
      'world-mgmt.yaml',
      'get',
      'nodes',
      '-o',
      'jsonpath={.items[*].status.nodeInfo.kubeletVersion}',
    );
    assert.deepEqual(
      [...new Set(mgmtNodes.stdout.split(' '))],
      [(JSON.parse(mgmtVersion.stdout) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion],
    );

    // The cluster's own admin kubeconfig: same https endpoint as its status, and names that are not `sim`.
    const admin = yaml.load(
      ((await api('/api/clusters/butler-tenants/production/kubeconfig')).json() as { kubeconfig: string }).kubeconfig,
    ) as Kubeconfig;
    const endpoint = cluster.status.controlPlaneEndpoint;
    if (endpoint !== undefined) assert.equal(endpoint, admin.clusters[0]!.cluster.server);
    assert.match(admin.clusters[0]!.cluster.server, /^https:/);
    for (const name of [admin.clusters[0]!.name, admin.users[0]!.name, admin.contexts[0]!.name])
      assert.notEqual(name, 'sim');
  });

  it('a kubectl token is accepted only as a Bearer header on the proxy', async () => {
    const { parsed } = await download('/api/management/kubeconfig', 'scoped.yaml');
    const token = parsed.users[0]!.user.token;
    const me = await fetch(`${demo.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 401);
    const clusters = await fetch(`${demo.url}/api/clusters`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(clusters.status, 401);
    const asCookie = await fetch(`${demo.url}/api/proxy/management/api/v1/nodes`, {
      headers: { cookie: `butler_token=${token}` },
    });
    assert.equal(asCookie.status, 401);
    const asBearer = await fetch(`${demo.url}/api/proxy/management/api/v1/nodes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(asBearer.status, 200);
  });

  it('revoking a kubectl token refuses it at once and leaves the browser session alone', async () => {
    const { tokenId } = await download('/api/management/kubeconfig', 'revoke.yaml');
    assert.equal((await kubectl('revoke.yaml', 'get', 'nodes')).code, 0);
    const bad = await api('/api/auth/kubectl-tokens/not-an-id', { method: 'DELETE' });
    assert.equal(bad.status, 400, bad.text);
    const revoked = await api(`/api/auth/kubectl-tokens/${tokenId}`, { method: 'DELETE' });
    assert.equal(revoked.status, 200, revoked.text);
    const refused = await kubectl('revoke.yaml', 'get', 'nodes');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /You must be logged in to the server/);
    assert.equal((await api('/api/auth/me')).status, 200, 'the browser session still works');
    assert.ok(logs.some((l) => l.includes('"kubectl-token.revoke"') && l.includes(tokenId)));
  });

  it('a missing cluster answers a Kubernetes Status that kubectl reports as NotFound', async () => {
    const unknown = await api('/api/clusters/butler-tenants/nope/kubeconfig?via=butler');
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.json().error, 'string');
    const { kubeconfig } = (await api('/api/management/kubeconfig')).json() as { kubeconfig: string };
    writeFileSync(
      join(home, 'gone.yaml'),
      kubeconfig.replace('/api/proxy/management', '/api/proxy/tenant/butler-tenants/gone'),
    );
    const r = await kubectl('gone.yaml', 'get', 'nodes', '-v=8');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(NotFound\)/);
    assert.match(r.stderr, /\\"kind\\":\\"Status\\".*TenantCluster \\\\\\"butler-tenants\/gone\\\\\\" not found/);
  });
});
