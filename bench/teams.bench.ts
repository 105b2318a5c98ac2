// Team filtering must not give up the shared, serialised-once list: with 1,000 TenantClusters in 50 teams,
// GET /api/clusters for a member of one team (p50) against the unfiltered list a platform admin gets (p50).
// Target: member p50 ≤ 1.5 × admin p50.
//
// Run: npx tsx bench/teams.bench.ts        (TEAMS_BENCH_CLUSTERS=1000 TEAMS_BENCH_TEAMS=50)
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { startButler, stopProcess } from './lib/butler-process.js';
import { forkSimulator, serveSimulator, stopSimulator } from './lib/sim-process.js';
import { percentile } from './lib/stats.js';

const SELF = fileURLToPath(import.meta.url);
const CLUSTERS = Number(process.env.TEAMS_BENCH_CLUSTERS ?? 1000);
const TEAMS = Number(process.env.TEAMS_BENCH_TEAMS ?? 50);
const SEQUENTIAL = 300;
const API = 'butler.butlerlabs.dev/v1alpha1';
const team = (i: number) => `team-${String(i % TEAMS).padStart(2, '0')}`;

function tenantCluster(i: number) {
  const name = `cluster-${String(i).padStart(5, '0')}`;
  return {
    apiVersion: API,
    kind: 'TenantCluster',
    metadata: {
      name,
      namespace: team(i),
      labels: { 'butler.butlerlabs.dev/team': team(i), env: 'bench' },
      annotations: {
        'butler.butlerlabs.dev/creator-email': `owner-${i % 23}@example.com`,
        description: `Benchmark tenant cluster number ${i}, with enough text to make the object about the size of a real one.`,
        'kubectl.kubernetes.io/last-applied-configuration': `{"kind":"TenantCluster","name":"${name}","padding":"${'x'.repeat(160)}"}`,
      },
    },
    spec: {
      teamRef: { name: team(i) },
      kubernetesVersion: 'v1.30.2',
      providerConfigRef: { name: 'harvester-prod', namespace: 'butler-system' },
      workers: { replicas: 3, machineTemplate: { cpu: 4, memory: '16Gi', diskSize: '100Gi' } },
      networking: { podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' },
    },
  };
}

async function runSimulatorChild(): Promise<void> {
  const { butlerCrds } = await import('../sim/crds.js');
  const seed: object[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'butler-system' } }];
  for (let t = 0; t < TEAMS; t++) {
    seed.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: team(t) } });
    seed.push({
      apiVersion: API,
      kind: 'Team',
      metadata: { name: team(t) },
      spec: { access: { users: [{ name: `member-${t}@example.com`, role: 'operator' }] } },
    });
    seed.push({
      apiVersion: API,
      kind: 'User',
      metadata: { name: `member-${t}` },
      spec: { email: `member-${t}@example.com`, authType: 'internal' },
    });
  }
  for (let i = 0; i < CLUSTERS; i++) seed.push(tenantCluster(i));
  await serveSimulator({ crds: butlerCrds(), seed });
}

function timedGet(agent: http.Agent, url: string, token: string): Promise<{ ms: number; items: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    http
      .get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - started;
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} from ${url}`));
          resolve({
            ms,
            items: (JSON.parse(Buffer.concat(chunks).toString()) as { clusters: unknown[] }).clusters.length,
          });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function sequential(url: string, token: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const first = await timedGet(agent, url, token);
  for (let i = 0; i < 20; i++) await timedGet(agent, url, token);
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) times.push((await timedGet(agent, url, token)).ms);
  agent.destroy();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), items: first.items };
}

/** A member's session: invited by the admin API, password set through the invite, logged in. */
async function memberToken(base: string, adminToken: string, t: number): Promise<string> {
  const call = async (method: string, path: string, body: unknown, token?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const invite = await call('POST', `/api/admin/users/member-${t}/invite`, {}, adminToken);
  if (invite.status !== 200) throw new Error(`invite: ${invite.status}`);
  const token = /\/invite\/([0-9a-f]{64})$/.exec(String(invite.body.inviteUrl))![1];
  const set = await call('POST', '/api/auth/set-password', { token, password: 'Bench-member-42' });
  if (set.status !== 200) throw new Error(`set-password: ${set.status}`);
  const login = await call('POST', '/api/auth/login', { username: `member-${t}`, password: 'Bench-member-42' });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  return String(login.body.token);
}

async function main(): Promise<void> {
  const sim = await forkSimulator(SELF, { TEAMS_BENCH_ROLE: 'sim' });
  const butler = await startButler(sim.kubeconfigPath);
  try {
    const member = await memberToken(butler.url, butler.token, 7);
    const url = `${butler.url}/api/clusters`;
    const admin = await sequential(url, butler.token);
    const filtered = await sequential(url, member);
    const ratio = filtered.p50 / admin.p50;
    console.log(`GET /api/clusters, ${CLUSTERS} clusters in ${TEAMS} teams, ${SEQUENTIAL} sequential requests each`);
    console.log(
      `  platform admin (all ${admin.items}):   p50 ${admin.p50.toFixed(2)} ms  p99 ${admin.p99.toFixed(2)} ms`,
    );
    console.log(
      `  team member (${filtered.items} of one team): p50 ${filtered.p50.toFixed(2)} ms  p99 ${filtered.p99.toFixed(2)} ms`,
    );
    console.log(`  member p50 / admin p50 = ${ratio.toFixed(2)} (target ≤ 1.5) ${ratio <= 1.5 ? 'MET' : 'NOT MET'}`);
  } finally {
    await stopProcess(butler.proc);
    await stopSimulator(sim);
  }
}

if (process.env.TEAMS_BENCH_ROLE === 'sim') void runSimulatorChild();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
