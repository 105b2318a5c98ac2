// Team filtering must not give up the shared, serialised-once list: with 1,000 TenantClusters in 50 teams,
// GET /api/clusters for a member of one team (p50) against the unfiltered list a platform admin gets (p50).
// Target: member p50 ≤ 1.5 × admin p50. Then /ws/clusters fan-out to TEAMS_BENCH_CLIENTS sockets spread evenly over
// the teams (members' cookies; the clients in TEAMS_BENCH_CLIENT_PROCS processes of their own, so they do not share
// the server's or this process's event loop): TEAMS_BENCH_CHANGES changes, each to one team's cluster, one after the
// other (the next once the previous reached all its team's sockets). Reported: the server's own fan-out time per
// change (the `butler_live_fanout_seconds` histogram), the time from the PATCH in the simulator to its arrival at each
// of that team's sockets (p50, p99, max; target p99 ≤ 250 ms), the spread between a team's first and later sockets,
// that no socket of another team received it, and the machine's load average (it is shared).
//
// Run: npm run bench -- teams    (TEAMS_BENCH_CLUSTERS=1000 TEAMS_BENCH_TEAMS=50 TEAMS_BENCH_CLIENTS=5000
//                                 TEAMS_BENCH_CHANGES=100 TEAMS_BENCH_CLIENT_PROCS=2)
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, startButler, stopProcess } from './lib/butler-process.js';
import { forkSimulator, serveSimulator, stopSimulator } from './lib/sim-process.js';
import { percentile, sleep } from './lib/stats.js';

const SELF = fileURLToPath(import.meta.url);
const CLUSTERS = Number(process.env.TEAMS_BENCH_CLUSTERS ?? 1000);
const TEAMS = Number(process.env.TEAMS_BENCH_TEAMS ?? 50);
const SEQUENTIAL = 300;
const CLIENTS = Number(process.env.TEAMS_BENCH_CLIENTS ?? 5000);
const CHANGES = Number(process.env.TEAMS_BENCH_CHANGES ?? 100);
const PROCS = Number(process.env.TEAMS_BENCH_CLIENT_PROCS ?? 2);
/** Longest wait for one change to reach its team's sockets. */
const ARRIVAL_WAIT_MS = 3000;
/** Pause between changes (after the previous one has arrived everywhere). */
const GAP_MS = 100;
/** Quiet time after the sockets opened (their snapshots written) before the first change. */
const SETTLE_MS = 2000;
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
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const invite = await call('POST', `/api/admin/users/member-${t}/invite`, undefined, adminToken);
  if (invite.status !== 200) throw new Error(`invite: ${invite.status}`);
  const token = /\/invite\/([0-9a-f]{64})$/.exec(String(invite.body.inviteUrl))![1];
  const set = await call('POST', '/api/auth/set-password', { token, password: 'Bench-member-42' });
  if (set.status !== 200) throw new Error(`set-password: ${set.status}`);
  const login = await call('POST', '/api/auth/login', { username: `member-${t}`, password: 'Bench-member-42' });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  return String(login.body.token);
}

/** The member's cookie for WebSockets (the same session as the token). */
const cookieOf = (token: string) => `butler_session=${token}`;

type ChildMessage =
  | { type: 'ready' }
  | { type: 'connected'; open: number; failed: number }
  | { type: 'complete'; seq: number }
  | { type: 'arrived'; arrivals: { seq: number; team: string; t: number }[] };

function collect(procs: ChildProcess[], type: string): Promise<ChildMessage[]> {
  return new Promise((resolve, reject) => {
    const got: ChildMessage[] = [];
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${type}`)), 300_000);
    const listeners = procs.map((p) => {
      const l = (m: ChildMessage) => {
        if (m.type !== type) return;
        got.push(m);
        if (got.length === procs.length) {
          clearTimeout(timer);
          procs.forEach((q, i) => q.off('message', listeners[i]!));
          resolve(got);
        }
      };
      p.on('message', l);
      return l;
    });
  });
}

/** Resolves when `proc` says change `seq` reached all its team's sockets, or after `ms` (false). */
function completion(proc: ChildProcess, seq: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      proc.off('message', l);
      resolve(ok);
    };
    const l = (m: ChildMessage) => {
      if (m.type === 'complete' && m.seq === seq) done(true);
    };
    const timer = setTimeout(() => done(false), ms);
    proc.on('message', l);
  });
}

/** `butler_live_fanout_seconds{stream="clusters"}`: cumulative bucket counts by upper bound (s), and the sum. */
async function fanOutHistogram(butler: { url: string; token: string }) {
  const res = await fetch(`${butler.url}/metrics`, { headers: { authorization: `Bearer ${butler.token}` } });
  const text = await res.text();
  const buckets = new Map<number, number>();
  for (const m of text.matchAll(/^butler_live_fanout_seconds_bucket\{le="([^"]+)",stream="clusters"\} (\S+)$/gm))
    buckets.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  const sum = Number(/^butler_live_fanout_seconds_sum\{stream="clusters"\} (\S+)$/m.exec(text)?.[1] ?? 0);
  return { buckets, sum };
}

/** Quantile of the observations between two histogram readings, as the upper bound of its bucket (ms). */
function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const b of bounds) if ((after.get(b) ?? 0) - (before.get(b) ?? 0) >= q * total) return b * 1000;
  return NaN;
}

async function fanOut(butler: { url: string; token: string }, simUrl: string, simToken: string): Promise<void> {
  const cookies: string[] = [];
  for (let t = 0; t < TEAMS; t++) cookies.push(cookieOf(await memberToken(butler.url, butler.token, t)));
  const procs = Array.from({ length: PROCS }, () =>
    fork(join(ROOT, 'bench/teams-clients.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    await collect(procs, 'ready');
    const perTeam = Math.floor(CLIENTS / TEAMS);
    const connected = collect(procs, 'connected');
    procs.forEach((p, i) => {
      const groups = [];
      for (let t = i; t < TEAMS; t += PROCS) groups.push({ team: team(t), cookie: cookies[t]!, count: perTeam });
      p.send({ cmd: 'connect', url: `${butler.url.replace('http', 'ws')}/ws/clusters`, groups });
    });
    const c = (await connected) as Extract<ChildMessage, { type: 'connected' }>[];
    const open = c.reduce((n, x) => n + x.open, 0);
    const failed = c.reduce((n, x) => n + x.failed, 0);
    console.log(
      `| /ws/clusters sockets open (failed), per team; client processes | ${open} (${failed}), ${perTeam}; ${PROCS} | |`,
    );
    await sleep(SETTLE_MS);
    const histogramBefore = await fanOutHistogram(butler);
    const startedAt = new Map<number, number>();
    const teamOf = new Map<number, string>();
    for (let seq = 1; seq <= CHANGES; seq++) {
      const i = (seq * 37) % CLUSTERS;
      const name = `cluster-${String(i).padStart(5, '0')}`;
      const owner = procs[(i % TEAMS) % PROCS]!;
      const complete = completion(owner, seq, ARRIVAL_WAIT_MS);
      owner.send({ cmd: 'expect', seq, team: team(i), count: perTeam });
      teamOf.set(seq, team(i));
      startedAt.set(seq, performance.timeOrigin + performance.now());
      const res = await fetch(`${simUrl}/apis/${API}/namespaces/${team(i)}/tenantclusters/${name}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${simToken}`, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { annotations: { 'bench-seq': String(seq) } } }),
      });
      if (res.status !== 200) throw new Error(`PATCH ${name}: ${res.status}`);
      await complete;
      await sleep(GAP_MS);
    }
    await sleep(ARRIVAL_WAIT_MS);
    const histogramAfter = await fanOutHistogram(butler);
    const reports = collect(procs, 'arrived');
    for (const p of procs) p.send({ cmd: 'report' });
    const arrived = (await reports).flatMap((r) => (r as Extract<ChildMessage, { type: 'arrived' }>).arrivals);
    const latencies: number[] = [];
    const spreads: number[] = [];
    const firstOf = new Map<number, number>();
    let wrongTeam = 0;
    let received = 0;
    for (const a of arrived) {
      if (a.team !== teamOf.get(a.seq)) {
        wrongTeam++;
        continue;
      }
      received++;
      latencies.push(a.t - startedAt.get(a.seq)!);
      firstOf.set(a.seq, Math.min(firstOf.get(a.seq) ?? Infinity, a.t));
    }
    for (const a of arrived) if (a.team === teamOf.get(a.seq)) spreads.push(a.t - firstOf.get(a.seq)!);
    const missed = CHANGES * perTeam - received;
    latencies.sort((a, b) => a - b);
    spreads.sort((a, b) => a - b);
    const p99 = percentile(latencies, 0.99);
    const ms = (xs: number[]) =>
      `${percentile(xs, 0.5).toFixed(1)} / ${percentile(xs, 0.99).toFixed(1)} / ${xs[xs.length - 1]?.toFixed(1)} ms`;
    const { buckets: b0, sum: s0 } = histogramBefore;
    const { buckets: b1, sum: s1 } = histogramAfter;
    const changes = (b1.get(Infinity) ?? 0) - (b0.get(Infinity) ?? 0);
    console.log(
      `| server: one change handed to its ${perTeam} sockets (butler_live_fanout_seconds, ${changes} changes): ` +
        `mean / p50 / p99 bucket | ${(((s1 - s0) / changes) * 1000).toFixed(2)} / ≤ ${bucketQuantile(b0, b1, 0.5)} / ` +
        `≤ ${bucketQuantile(b0, b1, 0.99)} ms | |`,
    );
    console.log(
      `| clients: ${CHANGES} changes, PATCH in the simulator → arrival at each of its team's sockets: p50 / p99 / max | ` +
        `${ms(latencies)} ${p99 <= 250 ? '(met)' : '(NOT met)'} | p99 ≤ 250 ms |`,
    );
    console.log(
      `| clients: arrival after the team's first socket got it (fan-out spread): p50 / p99 / max | ${ms(spreads)} | |`,
    );
    console.log(`| frames at sockets of other teams; missed | ${wrongTeam}; ${missed} | 0; 0 |`);
  } finally {
    for (const p of procs) p.send({ cmd: 'close' });
    await Promise.all(procs.map((p) => stopProcess(p, { graceMs: 3000 })));
  }
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  const sim = await forkSimulator(SELF, { TEAMS_BENCH_ROLE: 'sim' });
  // 50 members log in from this one address: above the default per-address login rate.
  const butler = await startButler(sim.kubeconfigPath, { env: { BUTLER_LOGIN_RATE_LIMIT: '1000' } });
  try {
    const member = await memberToken(butler.url, butler.token, 7);
    const url = `${butler.url}/api/clusters`;
    const admin = await sequential(url, butler.token);
    const filtered = await sequential(url, member);
    const ratio = filtered.p50 / admin.p50;
    console.log(`${CLUSTERS} clusters in ${TEAMS} teams; ${SEQUENTIAL} sequential GET /api/clusters per reader.`);
    console.log('');
    console.log('| measurement | value | target |');
    console.log('|---|---|---|');
    const ms = (r: { p50: number; p99: number }) => `${r.p50.toFixed(2)} / ${r.p99.toFixed(2)} ms`;
    console.log(`| GET /api/clusters, platform admin (all ${admin.items}) p50 / p99 | ${ms(admin)} | |`);
    console.log(`| GET /api/clusters, team member (${filtered.items}) p50 / p99 | ${ms(filtered)} | |`);
    console.log(`| member p50 ÷ admin p50 | ${ratio.toFixed(2)} ${ratio <= 1.5 ? '(met)' : '(NOT met)'} | ≤ 1.5 |`);
    await fanOut(butler, sim.url, sim.token);
    console.log('');
    console.log(
      `Load average (1 / 5 / 15 min; ${os.cpus().length} cores, shared) at start: ${loadAtStart}; at end: ${loadAverage()}.`,
    );
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
