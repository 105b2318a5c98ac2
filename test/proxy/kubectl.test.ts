// The machine's real kubectl through the proxy (server over TLS, since kubectl sends tokens only over TLS), with
// a butler-server session token: get, watch, apply, delete and an interactive exec in a PTY, for a tenant cluster
// and for the management cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '../../sim/index.js';
import { runCommand, runInTerminal, type CommandResult } from '../../sim/test-process.js';
import { waitFor } from '../helpers/server.js';
import { MGMT_PREFIX, namespace, pod, startProxyEnv, TENANT_PREFIX, type ProxyEnv } from './fixture.js';

const KUBECTL = '/usr/bin/kubectl';
const RUN_TIMEOUT_MS = 20_000;

const tenantCluster = (name: string) => ({
  apiVersion: 'butler.butlerlabs.dev/v1alpha1',
  kind: 'TenantCluster',
  metadata: { name, namespace: 'butler-tenants' },
  spec: { kubernetesVersion: 'v1.30.2', providerConfigRef: { name: 'pmx' }, workers: { replicas: 1 } },
});

describe('kubectl through the proxy', { skip: !existsSync(KUBECTL) && 'no /usr/bin/kubectl' }, () => {
  let env: ProxyEnv;
  let home: string;

  before(async () => {
    env = await startProxyEnv({
      tls: true,
      tenantCrds: true,
      tenantSeed: [namespace('butler-tenants'), namespace('apps'), pod('apps', 'shell')],
      mgmtSeed: [namespace('apps'), pod('apps', 'shell')],
    });
    env.tenant.recordRequests(true);
    env.mgmt.recordRequests(true);
    home = mkdtempSync(join(tmpdir(), 'butler-proxy-kubectl-'));
    for (const [name, prefix] of [
      ['tenant', TENANT_PREFIX],
      ['management', MGMT_PREFIX],
    ] as const) {
      writeFileSync(
        join(home, `${name}.kubeconfig`),
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'butler',
              cluster: {
                server: `${env.url}${prefix}`,
                'certificate-authority-data': Buffer.from(env.ca!).toString('base64'),
              },
            },
          ],
          users: [{ name: 'butler', user: { token: env.token } }],
          contexts: [{ name: 'butler', context: { cluster: 'butler', user: 'butler', namespace: 'apps' } }],
          'current-context': 'butler',
        }),
      );
    }
  });
  after(async () => {
    await env?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const kubectlEnv = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home });
  const args = (target: string, ...rest: string[]) => ['--kubeconfig', join(home, `${target}.kubeconfig`), ...rest];

  function kubectl(target: string, ...rest: string[]): Promise<CommandResult> {
    return runCommand(KUBECTL, args(target, ...rest), { env: kubectlEnv(), timeoutMs: RUN_TIMEOUT_MS });
  }

  async function simCreate(sim: Simulator, path: string, body: object) {
    const res = await fetch(`${sim.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, await res.text());
  }

  for (const target of ['tenant', 'management'] as const) {
    const simOf = () => (target === 'tenant' ? env.tenant : env.mgmt);

    it(`${target}: get nodes / namespaces`, async () => {
      if (target === 'tenant') {
        const r = await kubectl(target, 'get', 'nodes', '-o', 'name');
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'node/w1\nnode/w2\n');
      } else {
        const r = await kubectl(target, 'get', 'namespaces', '-o', 'name');
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /namespace\/butler-system\n/);
        assert.match(r.stdout, /namespace\/tn-dev\n/);
      }
    });

    it(`${target}: get tc -A -w shows new clusters live`, async () => {
      const child = spawn(KUBECTL, args(target, 'get', 'tc', '-A', '-w', '-o', 'name'), {
        env: kubectlEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const closed = new Promise((r) => child.once('close', r));
      try {
        // kubectl lists first (empty for the tenant, 'dev' on the management cluster), then watches.
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(child.exitCode, null, `kubectl ended: ${err}`);
        for (const name of [`live-${target}-1`, `live-${target}-2`]) {
          await simCreate(
            simOf(),
            '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/butler-tenants/tenantclusters',
            tenantCluster(name),
          );
          await waitFor(
            () => out.includes(`tenantcluster.butler.butlerlabs.dev/${name}`),
            3000,
            `${name} in kubectl's watch (${err})`,
          );
        }
      } finally {
        child.kill('SIGKILL');
        await closed;
      }
    });

    it(`${target}: apply creates and updates, delete deletes`, async () => {
      const file = join(home, `${target}-cm.json`);
      const cm = (v: string) =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'applied', namespace: 'apps' },
          data: { v },
        });
      writeFileSync(file, cm('1'));
      let r = await kubectl(target, 'apply', '-f', file);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'configmap/applied created');
      writeFileSync(file, cm('2'));
      r = await kubectl(target, 'apply', '-f', file);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'configmap/applied configured');
      const direct = await fetch(`${simOf().url}/api/v1/namespaces/apps/configmaps/applied`, {
        headers: { authorization: `Bearer ${simOf().token}` },
      });
      assert.equal(((await direct.json()) as { data: { v: string } }).data.v, '2');
      r = await kubectl(target, 'delete', 'configmap', 'applied');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'configmap "applied" deleted');
      const gone = await fetch(`${simOf().url}/api/v1/namespaces/apps/configmaps/applied`, {
        headers: { authorization: `Bearer ${simOf().token}` },
      });
      assert.equal(gone.status, 404);
    });

    it(`${target}: exec -it shell -- sh in a terminal`, async () => {
      const { term, screen, exited } = runInTerminal(KUBECTL, args(target, 'exec', '-it', 'shell', '--', 'sh'), {
        cols: 100,
        rows: 30,
        cwd: home,
        env: kubectlEnv(),
      });
      try {
        await waitFor(() => /[#$] $/.test(screen()), 10_000, `the shell prompt (${screen()})`);
        term.write('echo through-$((40+2))\r');
        await waitFor(() => screen().includes('through-42'), 5000, 'the echo');
        term.write('stty size\r');
        await waitFor(() => /\b30 100\r\n/.test(screen()), 5000, 'the terminal size');
        term.write('exit 7\r');
        assert.equal(await exited, 7);
      } finally {
        term.kill('SIGKILL');
      }
    });
  }

  it('the session token never reached a simulator, and every write and exec was audited', () => {
    for (const sim of [env.tenant, env.mgmt]) {
      assert.ok(sim.requests.length > 20, `${sim.requests.length} requests recorded`);
      for (const r of sim.requests) {
        assert.equal(r.headers.authorization, `Bearer ${sim.token}`, `${r.method} ${r.path}`);
        assert.ok(!JSON.stringify(r.headers).includes(env.token), `${r.method} ${r.path} carried the session token`);
      }
    }
    const audits = env.server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
    for (const cluster of ['butler-tenants/dev', 'management']) {
      const events = audits.filter((a) => a.cluster === cluster).map((a) => `${a.event} ${a.method} ${a.status}`);
      assert.ok(events.includes('proxy.upgrade GET 101'), `${cluster}: ${events.join(', ')}`);
      assert.ok(
        events.some((e) => /^proxy.request (POST|PATCH) 20[01]$/.test(e)),
        `${cluster}: ${events.join(', ')}`,
      );
      assert.ok(events.includes('proxy.request DELETE 200'), `${cluster}: ${events.join(', ')}`);
    }
  });
});
