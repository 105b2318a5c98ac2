// Pod mode (the default): management and tenant shells run in shell pods the simulator's kubelet runs in their own
// namespaces. Proves: no process the shell can see holds the server's secrets; the pod spec's safety settings; a
// setsid child dies with the session; pod and Secret are deleted; a session dropped on replica A continues on B;
// 200 abrupt drops leave no pod, Secret or process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { namespacesAvailable } from '../../sim/pod-sandbox.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { CLUSTER, startTerminalEnv, TENANT_NS, TerminalClient, waitUntil, type TerminalEnv } from './harness.js';

const SYSTEM_NS = 'butler-system';
let env: TerminalEnv;
let replicaB: TestServer;
let tokenB: string;

const terminalRbac = [
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'butler-terminal', namespace: SYSTEM_NS } },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'test-terminal-read' },
    rules: [{ apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['get', 'list'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'test-terminal-read' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'test-terminal-read' },
    subjects: [{ kind: 'ServiceAccount', name: 'butler-terminal', namespace: SYSTEM_NS }],
  },
];

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(env.management.url + path, {
    method,
    headers: { authorization: `Bearer ${env.management.token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const shellPods = async () =>
  (await admin('GET', `/api/v1/namespaces/${SYSTEM_NS}/pods?labelSelector=app.kubernetes.io%2Fname%3Dbutler-terminal`))
    .body.items as any[];
const shellSecrets = async () =>
  (
    await admin(
      'GET',
      `/api/v1/namespaces/${SYSTEM_NS}/secrets?labelSelector=app.kubernetes.io%2Fname%3Dbutler-terminal`,
    )
  ).body.items as any[];

/** Live processes on this machine whose command line contains `needle`. */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(needle)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

async function open(url: string, token = env.token): Promise<TerminalClient> {
  const c = await TerminalClient.connect(url, { token });
  await c.waitFor(/\$ $/, 20_000);
  return c;
}

const SERVER_ENV = {
  BUTLER_TERMINAL_MODE: 'pod',
  BUTLER_TERMINAL_IMAGE: 'local/shell:test',
  BUTLER_TERMINAL_REATTACH_GRACE: '4s',
  BUTLER_TERMINAL_MAX_PER_USER: '20',
  BUTLER_TERMINAL_MAX_TOTAL: '40',
  BUTLER_TEST_SECRET_MARKER: 'server-secret-marker',
};

before(async () => {
  env = await startTerminalEnv(SERVER_ENV);
  for (const o of terminalRbac) {
    const plural = o.kind === 'ServiceAccount' ? 'serviceaccounts' : o.kind.toLowerCase() + 's';
    const base = o.kind === 'ServiceAccount' ? `/api/v1/namespaces/${SYSTEM_NS}` : '/apis/rbac.authorization.k8s.io/v1';
    assert.equal((await admin('POST', `${base}/${plural}`, o)).status, 201);
  }
  replicaB = await startTestServer({
    sim: env.management,
    env: {
      ...SERVER_ENV,
      BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8',
      BUTLER_JWT_SECRET: env.server.config.auth.jwtSecret,
    },
  });
  tokenB = (await replicaB.login()).token;
});
after(async () => {
  await replicaB?.close();
  await env?.close();
});

describe('pod mode', { skip: !namespacesAvailable() && 'needs root and unshare for the simulator kubelet' }, () => {
  test('the management shell runs in a locked-down pod and sees none of the server secrets', async (t) => {
    const c = await open(env.wsUrl('/ws/terminal/management'));
    t.after(() => c.close());
    assert.match(c.frames[0]!, /^\x1b\]7717;butler-session=[a-f0-9]{32}\x07/);
    assert.match(c.text, /\[management\] \$ $/);
    const id = c.sessionId!;

    const [pod] = (await shellPods()).filter((p) => p.metadata.labels['butler.butlerlabs.dev/terminal-session'] === id);
    assert.ok(pod, 'the shell pod exists');
    assert.equal(pod.metadata.labels['butler.butlerlabs.dev/terminal-user'], 'admin');
    assert.equal(pod.metadata.labels['butler.butlerlabs.dev/terminal-target'], 'management');
    assert.equal(pod.spec.automountServiceAccountToken, false);
    assert.equal(pod.spec.serviceAccountName, 'butler-terminal');
    assert.equal(pod.spec.activeDeadlineSeconds, 8 * 3600);
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    const container = pod.spec.containers[0];
    assert.equal(container.image, 'local/shell:test');
    assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.resources.limits, { cpu: '500m', memory: '256Mi' });

    // Every environment any process visible to the shell has: no server secret in any of them.
    const environs = await c.run(
      'for f in /proc/[0-9]*/environ; do echo "== $f"; tr "\\0" "\\n" < "$f" 2>/dev/null; done',
    );
    assert.match(environs, /== \/proc\/1\/environ/);
    const secrets = [env.server.config.auth.jwtSecret, 'test-password-123', 'server-secret-marker'];
    for (const s of secrets) assert.ok(!environs.includes(s), `a process visible to the shell holds ${s.slice(0, 6)}…`);
    assert.doesNotMatch(environs, /BUTLER_JWT_SECRET|BUTLER_ADMIN_PASSWORD|KUBERNETES_SERVICE_HOST/);
    assert.equal((await c.run('id -u')).trim(), '65532');
    const ps = await c.run('ps -e -o pid= | wc -l');
    assert.ok(Number(ps.trim()) < 10, `only the pod's processes are visible: ${ps}`);
    // kubectl with the terminal ServiceAccount's rights (read), not the server's.
    assert.match(await c.run('kubectl get pods -n butler-system -o name'), /pod\/butler-terminal-/);
    assert.match(await c.run('kubectl get secrets -n butler-system 2>&1'), /forbidden/i);
  });

  test('tenant shell: the tenant kubeconfig, in its own pod', async (t) => {
    const c = await open(env.wsUrl(`/ws/terminal/tenant/${TENANT_NS}/${CLUSTER}`));
    t.after(() => c.close());
    assert.match(c.text, new RegExp(`\\[${CLUSTER}\\] \\$ $`));
    assert.match(await c.run('kubectl get nodes -o name'), /node\/tenant-node-1/);
  });

  test('a setsid child is gone after the session ends; pod and Secret are deleted', async () => {
    const c = await open(env.wsUrl('/ws/terminal/management'));
    const id = c.sessionId!;
    await c.run('(setsid sleep 7773 < /dev/null > /dev/null 2>&1 &)');
    await waitUntil(() => processesWith('sleep 7773').length > 0, 10_000, 'the setsid child');
    assert.equal((await shellSecrets()).filter((s) => s.metadata.name.endsWith(id)).length, 1);
    c.close(1000);
    await c.closedWithin();
    await waitUntil(() => processesWith('sleep 7773').length === 0, 60_000, 'the setsid child to end');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const left = [...(await shellPods()), ...(await shellSecrets())].filter((o) => o.metadata.name.endsWith(id));
      if (left.length === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail('the shell pod or its Secret is still there');
  });

  test('a session dropped on replica A continues on replica B with the same shell', async () => {
    const a = await open(env.wsUrl('/ws/terminal/management'));
    const id = a.sessionId!;
    await a.run('export KEPT=across-replicas');
    a.drop();
    await a.closedWithin();

    // The scrollback stayed on A; B asks the shell to redraw on the client's first resize, so a prompt shows.
    const b = await TerminalClient.connect(
      `${replicaB.url.replace(/^http/, 'ws')}/ws/terminal/management?session=${id}`,
      {
        token: tokenB,
      },
    );
    await b.waitFor(/butler-session=/);
    assert.match(b.frames[0]!, new RegExp(`butler-session=${id}`));
    b.resize(80, 24); // the size the shell already has: no SIGWINCH of its own
    await b.waitFor(/\$ $/);
    assert.equal((await b.run('echo "$KEPT"')).trim(), 'across-replicas');
    // A's grace (4 s) runs out: A must not delete the pod B holds now.
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal((await b.run('echo still-$KEPT')).trim(), 'still-across-replicas');
    assert.equal(env.server.app.terminals.get(id), undefined, 'A forgot the session');
    b.close(1000);
    await b.closedWithin();
    const deadline = Date.now() + 20_000;
    while ((await shellPods()).some((p) => p.metadata.name.endsWith(id))) {
      if (Date.now() > deadline) assert.fail('pod left after the session ended on B');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test('200 abrupt drops leave no pod, Secret or process behind', async (t) => {
    const ROUNDS = 200;
    const PARALLEL = 8;
    // Its own replica with a short grace, so the dropped sessions do not pile up against the per-user limit.
    const c3 = await startTestServer({
      sim: env.management,
      env: {
        ...SERVER_ENV,
        BUTLER_TERMINAL_REATTACH_GRACE: '1s',
        BUTLER_TERMINAL_MAX_PER_USER: '100',
        BUTLER_TERMINAL_MAX_TOTAL: '100',
        BUTLER_JWT_SECRET: env.server.config.auth.jwtSecret,
      },
    });
    t.after(() => c3.close());
    const url = `${c3.url.replace(/^http/, 'ws')}/ws/terminal/management`;
    let next = 0;
    const worker = async () => {
      while (next < ROUNDS) {
        const i = next++;
        const c = await TerminalClient.connect(url, { token: env.token });
        // Some drop while the pod starts, the others once the shell runs (with a child in its own session).
        if (i % 2 === 1) {
          await c.waitFor(/\$ $/, 30_000);
          c.input(`(setsid sleep 88${String(i).padStart(3, '0')} < /dev/null > /dev/null 2>&1 &)\r`);
          await new Promise((r) => setTimeout(r, 50));
        }
        c.drop();
        await c.closedWithin();
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    // Grace 4 s, then the server ends each session and deletes its pod.
    const deadline = Date.now() + 90_000;
    for (;;) {
      const pods = await shellPods();
      const secrets = await shellSecrets();
      const procs = processesWith('sleep 88');
      if (pods.length === 0 && secrets.length === 0 && procs.length === 0) break;
      if (Date.now() > deadline)
        assert.fail(`left behind: ${pods.length} pods, ${secrets.length} secrets, ${procs.length} processes`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(c3.app.terminals.size, 0);
  });
});
