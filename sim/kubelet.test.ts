// The simulator's kubelet over real HTTP: a pod with commands runs in its own namespaces with its volumes and env,
// status follows, attach and exec reach it, deletion kills every process (setsid children too), owned Secrets go.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { startSimulator, type Simulator } from './index.js';
import { namespacesAvailable } from './pod-sandbox.js';
import { alive, waitUntil } from './test-process.js';
import { request } from './test-client.js';

let sim: Simulator;
const NS = 'kl';
const api = (method: string, path: string, body?: unknown) => request(sim.url, sim.token, method, path, body);

class Stream {
  readonly ws: WebSocket;
  out = '';
  status = '';
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  constructor(path: string) {
    this.ws = new WebSocket(sim.url.replace(/^http/, 'ws') + path, ['v5.channel.k8s.io'], {
      headers: { Authorization: `Bearer ${sim.token}` },
    });
    this.ws.on('message', (d: Buffer) => {
      if (d[0] === 1 || d[0] === 2) this.out += d.subarray(1).toString();
      if (d[0] === 3) this.status += d.subarray(1).toString();
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }
  send(text: string): void {
    this.ws.send(Buffer.concat([Buffer.of(0), Buffer.from(text)]));
  }
  async waitFor(re: RegExp, ms = 10_000): Promise<string> {
    await waitUntil(() => re.test(this.out), `output ${re} (got ${JSON.stringify(this.out.slice(-300))})`, ms);
    return this.out;
  }
}

const podPath = (name: string) => `/api/v1/namespaces/${NS}/pods/${name}`;

function shellPod(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      restartPolicy: 'Never',
      securityContext: { runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, runAsNonRoot: true },
      containers: [
        {
          name: 'shell',
          image: 'local',
          command: ['sh', '-c', 'stty -echo 2>/dev/null; read -r _; stty echo; exec sh -i'],
          stdin: true,
          tty: true,
          workingDir: '/home/u',
          env: [
            { name: 'HOME', value: '/home/u' },
            { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: `${name}-s`, key: 'k' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: [
            { name: 'cfg', mountPath: '/butler/cfg', readOnly: true },
            { name: 'home', mountPath: '/home/u' },
          ],
        },
      ],
      volumes: [
        { name: 'cfg', secret: { secretName: `${name}-s`, defaultMode: 0o440 } },
        { name: 'home', emptyDir: {} },
      ],
      ...extra,
    },
  };
}

async function createWithSecret(name: string, extra: Record<string, unknown> = {}): Promise<any> {
  const pod = await api('POST', `/api/v1/namespaces/${NS}/pods`, shellPod(name, extra));
  assert.equal(pod.status, 201, pod.text);
  // The Secret comes after the pod (owned by it): the kubelet waits for it like a real one.
  const secret = await api('POST', `/api/v1/namespaces/${NS}/secrets`, {
    metadata: {
      name: `${name}-s`,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name, uid: pod.body.metadata.uid }],
    },
    stringData: { k: 'secret-value', config: 'kube: config' },
  });
  assert.equal(secret.status, 201, secret.text);
  return pod.body;
}

async function waitPhase(name: string, phase: string, ms = 15_000): Promise<any> {
  let last: any;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    last = (await api('GET', podPath(name))).body;
    if (last?.status?.phase === phase) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`pod ${name} never reached ${phase}: ${JSON.stringify(last?.status)}`);
}

const attachPath = (name: string) => `${podPath(name)}/attach?container=shell&stdin=true&stdout=true&tty=true`;
const execPath = (name: string, cmd: string) =>
  `${podPath(name)}/exec?container=shell&stdout=true&stderr=true&command=sh&command=-c&command=${encodeURIComponent(cmd)}`;

async function execOut(name: string, cmd: string): Promise<string> {
  const s = new Stream(execPath(name, cmd));
  await s.opened;
  await s.closed;
  return s.out;
}

const initPid = (pod: any) => Number(String(pod.status.containerStatuses[0].containerID).replace('sim://', ''));

before(async () => {
  sim = await startSimulator();
  assert.equal((await api('POST', '/api/v1/namespaces', { metadata: { name: NS } })).status, 201);
});
after(async () => {
  await sim?.stop();
});

describe('simulator kubelet', { skip: !namespacesAvailable() && 'needs root and unshare' }, () => {
  test('runs the pod isolated, with volumes, env and user; attach continues one shell; delete kills all', async () => {
    await createWithSecret('p1');
    const pod = await waitPhase('p1', 'Running');
    const pid = initPid(pod);
    assert.ok(alive(pid));

    const a = new Stream(attachPath('p1'));
    await a.opened;
    a.send('\n');
    a.send('X=kept; echo "id=$(id -u) user=$FROM_SECRET pod=$POD_NAME pwd=$(pwd)"\n');
    await a.waitFor(/id=65532 user=secret-value pod=p1 pwd=\/home\/u/);
    a.send('setsid sleep 7771 & echo started\n');
    await a.waitFor(/started/);
    a.ws.close();
    await a.closed;

    // The shell survives the detach; a second attach continues it.
    const b = new Stream(attachPath('p1'));
    await b.opened;
    b.send('echo "x=$X"\n');
    await b.waitFor(/x=kept/);

    const ps = await execOut('p1', 'ps -e -o pid=,comm=; cat /butler/cfg/config; echo; touch /rootfile 2>&1; hostname');
    const pids = ps.split('\n').filter((l) => /^\s*\d+\s/.test(l));
    assert.ok(
      pids.some((l) => /^\s*1\s+sh/.test(l)),
      ps,
    );
    assert.ok(
      pids.every((l) => Number(l.trim().split(/\s+/)[0]) < 1000),
      `only the pod's processes: ${ps}`,
    );
    assert.match(ps, /kube: config/);
    assert.match(ps, /Read-only file system/);
    assert.match(ps, /\bp1\b/);

    // The setsid child runs on this machine until the pod is deleted.
    const sleeper = () => processes().find((p) => p.cmd.startsWith('sleep 7771'));
    assert.ok(sleeper(), 'setsid sleep runs');
    assert.equal((await api('DELETE', podPath('p1'))).status, 200);
    await waitUntil(() => !alive(pid) && !sleeper(), 'every process of the pod gone', 10_000);
    assert.equal(await b.closed, 1000);
    const secret = await api('GET', `/api/v1/namespaces/${NS}/secrets/p1-s`);
    assert.equal(secret.status, 404, 'the owned Secret is garbage-collected');
  });

  test('the shell exiting makes the pod Succeeded; activeDeadlineSeconds makes it Failed', async () => {
    await createWithSecret('p2');
    await waitPhase('p2', 'Running');
    const a = new Stream(attachPath('p2'));
    await a.opened;
    a.send('\n');
    a.send('echo ready\n');
    await a.waitFor(/ready/);
    a.send('exit 0\n');
    await a.closed;
    const done = await waitPhase('p2', 'Succeeded');
    assert.equal(done.status.containerStatuses[0].state.terminated.exitCode, 0);
    const refused = new Stream(attachPath('p2'));
    await assert.rejects(refused.opened, /HTTP 400/);

    await createWithSecret('p3', { activeDeadlineSeconds: 1 });
    const running = await waitPhase('p3', 'Running');
    const failed = await waitPhase('p3', 'Failed');
    assert.equal(failed.status.reason, 'DeadlineExceeded');
    await waitUntil(() => !alive(initPid(running)), 'deadline kills the pod');
  });
});

/** Every live process on this machine with its command line (for the setsid check). */
function processes(): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (alive(Number(name))) out.push({ pid: Number(name), cmd });
    } catch {
      // gone
    }
  }
  return out;
}
