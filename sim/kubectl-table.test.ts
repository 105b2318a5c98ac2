// The machine's real kubectl printing the simulator's server-side Tables: CRD printer columns, nodes, pods,
// events, and `get -w` (one-row Tables without headers after the first).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { butlerCrds } from './crds.js';
import { startSimulator, type Simulator } from './index.js';
import { request } from './test-client.js';

const KUBECTL = '/usr/bin/kubectl';
let sim: Simulator;
let home: string;

const env = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home });

function kubectl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      ['--kubeconfig', sim.kubeconfigPath, ...args],
      { env: env(), timeout: 30_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve(stdout)),
    );
  });
}

/** Splits kubectl's table output into header names and rows of cells (columns are 2+ spaces apart). */
function parseTable(text: string): { header: string[]; rows: string[][] } {
  const [head, ...lines] = text.trimEnd().split('\n');
  const split = (l: string) => l.trim().split(/\s{2,}/);
  return { header: split(head), rows: lines.map(split) };
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'sim-kubectl-table-'));
  sim = await startSimulator({
    crds: butlerCrds(),
    seed: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
      {
        apiVersion: 'butler.butlerlabs.dev/v1alpha1',
        kind: 'TenantCluster',
        metadata: { name: 'c1', namespace: 'team-a' },
        spec: { kubernetesVersion: 'v1.30.2', workers: { replicas: 2 } },
        status: {
          phase: 'Ready',
          observedState: { workers: { ready: 2, desired: 2 } },
          controlPlaneEndpoint: 'https://c1.example.test:6443',
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'node-1', labels: { 'node-role.kubernetes.io/worker': '' } },
        status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.30.2' } },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
        status: {
          phase: 'Running',
          containerStatuses: [{ name: 'c', ready: true, restartCount: 0, state: { running: {} } }],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'ev1', namespace: 'default' },
        involvedObject: { kind: 'Pod', name: 'web' },
        reason: 'Pulled',
        message: 'image pulled',
        type: 'Normal',
        lastTimestamp: new Date(Date.now() - 300_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    ],
  });
});

after(async () => {
  await sim?.stop();
  rmSync(home, { recursive: true, force: true });
});

test('get tc -A, nodes, pods and events print the server-side columns', async () => {
  // One discovery first so the parallel commands do not all write the discovery cache at once.
  await kubectl(['get', 'ns', '-o', 'name']);
  const [tc, nodes, pods, events] = await Promise.all([
    kubectl(['get', 'tc', '-A']),
    kubectl(['get', 'nodes']),
    kubectl(['get', 'pods']),
    kubectl(['get', 'events']),
  ]);
  const t = parseTable(tc);
  assert.deepEqual(t.header, ['NAMESPACE', 'NAME', 'PHASE', 'K8S VERSION', 'WORKERS', 'ENDPOINT', 'AGE']);
  assert.deepEqual(t.rows[0].slice(0, 6), ['team-a', 'c1', 'Ready', 'v1.30.2', '2', 'https://c1.example.test:6443']);
  assert.match(t.rows[0][6], /^\d+s$/);
  const n = parseTable(nodes);
  assert.deepEqual(n.header, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
  assert.deepEqual([n.rows[0][0], n.rows[0][1], n.rows[0][2], n.rows[0][4]], ['node-1', 'Ready', 'worker', 'v1.30.2']);
  const p = parseTable(pods);
  assert.deepEqual(p.header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.deepEqual(p.rows[0].slice(0, 4), ['web', '1/1', 'Running', '0']);
  const e = parseTable(events);
  assert.deepEqual(e.header, ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  assert.match(e.rows[0][0], /^5m(\d+s)?$/);
  assert.deepEqual(e.rows[0].slice(1), ['Normal', 'Pulled', 'pod/web', 'image pulled']);
});

test('get tc -w prints the header once and a row per change', async () => {
  const child = spawn(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, 'get', 'tc', '-n', 'team-a', '-w'], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const waitFor = async (lines: number) => {
    for (let i = 0; i < 100 && out.trimEnd().split('\n').length < lines; i++)
      await new Promise((r) => setTimeout(r, 100));
  };
  try {
    await waitFor(2);
    const patch = await request(
      sim.url,
      sim.token,
      'PATCH',
      '/apis/butler.butlerlabs.dev/v1alpha1/namespaces/team-a/tenantclusters/c1/status',
      { status: { phase: 'Deleting' } },
      'application/merge-patch+json',
    );
    assert.equal(patch.status, 200, patch.text);
    await waitFor(3);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  const t = parseTable(out);
  assert.deepEqual(t.header, ['NAME', 'PHASE', 'K8S VERSION', 'WORKERS', 'ENDPOINT', 'AGE']);
  assert.deepEqual(
    t.rows.map((r) => r.slice(0, 2)),
    [
      ['c1', 'Ready'],
      ['c1', 'Deleting'],
    ],
  );
});
