// Live-update fan-out (issue 5, "Performance"): with 1,000 and 5,000 authenticated /ws/clusters clients, the time
// from a TenantCluster change in the simulator to its arrival at every client (p50, p99, max), and server memory
// per idle connection; the same fan-out by a minimal `ws` broadcast server in the same run is the floor.
//
// butler-server and the floor server each run in their own process, the clients in PROCS further processes
// (bench/live-clients.ts), so that no load generator shares the measured event loop. Times are compared across
// processes with performance.timeOrigin + performance.now() (same machine clock).
//
// Run: npx tsx bench/live.bench.ts            (LIVE_BENCH_CLIENTS=1000,5000 LIVE_BENCH_CHANGES=20 to change;
//      LIVE_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile butler-server)
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../sim/index.js';
import { butlerCrds } from '../sim/crds.js';
import { ROOT, startButler, stopProcess, type ButlerProcess } from './lib/butler-process.js';
import { percentile, rssBytes, sleep } from './lib/stats.js';

const SIZES = (process.env.LIVE_BENCH_CLIENTS ?? '1000,5000').split(',').map(Number);
const CHANGES = Number(process.env.LIVE_BENCH_CHANGES ?? 20);
const PROCS = 4;
const CLUSTERS = 100;
const NAMESPACE = 'bench';
const TARGET = 'bench-target';
const ARRIVAL_TIMEOUT_MS = 20_000;
const SETTLE_MS = 2000;

const now = () => performance.timeOrigin + performance.now();

interface Result {
  clients: number;
  server: string;
  latencies: number[];
  perChangeMax: number[];
  missed: number;
  bytesPerConnection: number;
}

async function settledRss(pid: number): Promise<number> {
  await sleep(SETTLE_MS);
  return rssBytes(pid);
}

type ChildMessage =
  | { type: 'ready' }
  | { type: 'connected'; open: number; failed: number }
  | { type: 'arrived'; seq: number; times: number[] };

class ClientProcesses {
  private readonly procs: ChildProcess[] = [];
  private readonly listeners = new Set<(m: ChildMessage, i: number) => void>();

  async start(): Promise<void> {
    for (let i = 0; i < PROCS; i++) {
      const child = fork(join(ROOT, 'bench/live-clients.ts'), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      child.on('message', (m: ChildMessage) => {
        for (const l of [...this.listeners]) l(m, i);
      });
      this.procs.push(child);
    }
    await this.collect((m) => m.type === 'ready', PROCS, 30_000);
  }

  /** Waits for `n` messages matching `match` (from any process). */
  private collect(match: (m: ChildMessage) => boolean, n: number, timeoutMs: number): Promise<ChildMessage[]> {
    return new Promise((resolve) => {
      const got: ChildMessage[] = [];
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(got);
      };
      const listener = (m: ChildMessage) => {
        if (!match(m)) return;
        got.push(m);
        if (got.length === n) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.listeners.add(listener);
    });
  }

  async connect(url: string, headers: Record<string, string>, total: number, waitForFirstMessage: boolean) {
    const replies = this.collect((m) => m.type === 'connected', PROCS, 300_000);
    this.procs.forEach((p, i) => {
      const count = Math.floor(total / PROCS) + (i < total % PROCS ? 1 : 0);
      p.send({ cmd: 'connect', url, headers, count, waitForFirstMessage });
    });
    const r = (await replies) as Extract<ChildMessage, { type: 'connected' }>[];
    return { open: r.reduce((n, m) => n + m.open, 0), failed: r.reduce((n, m) => n + m.failed, 0) };
  }

  /** Triggers change `seq` and returns the arrival latency at every client (ms) and how many never saw it. */
  async measure(seq: number, expected: number, trigger: () => Promise<void>) {
    const arrived = this.collect((m) => m.type === 'arrived' && m.seq === seq, PROCS, ARRIVAL_TIMEOUT_MS);
    const t0 = now();
    await trigger();
    let replies = (await arrived) as Extract<ChildMessage, { type: 'arrived' }>[];
    if (replies.length < PROCS) {
      const rest = this.collect((m) => m.type === 'arrived' && m.seq === seq, PROCS - replies.length, 5000);
      for (const p of this.procs) p.send({ cmd: 'flush', seq });
      replies = [...replies, ...((await rest) as Extract<ChildMessage, { type: 'arrived' }>[])];
    }
    const latencies = replies.flatMap((r) => r.times.map((t) => t - t0));
    return { latencies, missed: expected - latencies.length };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.send({ cmd: 'close' });
            setTimeout(() => p.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }
}

async function simCall(sim: Simulator, method: string, path: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sim.token}`, 'content-type': type },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json() as Promise<unknown>;
}

const clusterPath = `/apis/butler.butlerlabs.dev/v1alpha1/namespaces/${NAMESPACE}/tenantclusters`;

function cluster(name: string) {
  return {
    apiVersion: 'butler.butlerlabs.dev/v1alpha1',
    kind: 'TenantCluster',
    metadata: { name, namespace: NAMESPACE, labels: { 'butler.butlerlabs.dev/team': 'platform' } },
    spec: {
      kubernetesVersion: 'v1.30.2',
      providerConfigRef: { name: 'harvester-prod' },
      workers: { replicas: 3, machineTemplate: { cpu: 4, memory: '16Gi', diskSize: '100Gi' } },
      networking: { podCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' },
    },
  };
}

const startLiveButler = (sim: Simulator) =>
  startButler(sim.kubeconfigPath, {
    nodeArgs: (process.env.LIVE_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean),
    readyTimeoutMs: 60_000,
  });

async function startFloor(): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(join(ROOT, 'bench/live-floor-server.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) =>
    proc.on('message', (m: { type: string; port: number }) => m.type === 'listening' && resolve(m.port)),
  );
  return { proc, port };
}

let seq = 0;

async function runButler(sim: Simulator, n: number, butler: ButlerProcess) {
  const clients = new ClientProcesses();
  await clients.start();
  const before = await settledRss(butler.proc.pid!);
  const c = await clients.connect(
    `${butler.url.replace('http', 'ws')}/ws/clusters`,
    { cookie: butler.cookie, origin: butler.url },
    n,
    true,
  );
  const after = await settledRss(butler.proc.pid!);
  const latencies: number[] = [];
  const perChangeMax: number[] = [];
  let missed = n - c.open;
  for (let i = 0; i < CHANGES; i++) {
    const s = ++seq;
    const r = await clients.measure(s, c.open, async () => {
      await simCall(
        sim,
        'PATCH',
        `${clusterPath}/${TARGET}`,
        { metadata: { annotations: { 'bench-seq': String(s) } } },
        'application/merge-patch+json',
      );
    });
    latencies.push(...r.latencies);
    perChangeMax.push(Math.max(...r.latencies));
    missed += r.missed;
    await sleep(100);
  }
  await clients.close();
  const result: Result = {
    clients: n,
    server: 'butler-server',
    latencies,
    perChangeMax,
    missed,
    bytesPerConnection: (after - before) / Math.max(1, c.open),
  };
  return result;
}

async function runFloor(n: number, frameTemplate: string) {
  const floor = await startFloor();
  const clients = new ClientProcesses();
  await clients.start();
  const before = await settledRss(floor.proc.pid!);
  const c = await clients.connect(`ws://127.0.0.1:${floor.port}/`, {}, n, false);
  const after = await settledRss(floor.proc.pid!);
  const latencies: number[] = [];
  const perChangeMax: number[] = [];
  let missed = n - c.open;
  for (let i = 0; i < CHANGES; i++) {
    const s = ++seq;
    const text = frameTemplate.replace('"bench-seq":"0"', `"bench-seq":"${s}"`);
    const r = await clients.measure(s, c.open, async () => {
      floor.proc.send({ cmd: 'broadcast', text });
    });
    latencies.push(...r.latencies);
    perChangeMax.push(Math.max(...r.latencies));
    missed += r.missed;
    await sleep(100);
  }
  await clients.close();
  floor.proc.send({ cmd: 'close' });
  await new Promise((r) => floor.proc.once('exit', r));
  const result: Result = {
    clients: n,
    server: 'ws broadcast (floor)',
    latencies,
    perChangeMax,
    missed,
    bytesPerConnection: (after - before) / Math.max(1, c.open),
  };
  return result;
}

function row(r: Result): string {
  const s = [...r.latencies].sort((a, b) => a - b);
  const m = [...r.perChangeMax].sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(1);
  return `| ${r.clients} | ${r.server} | ${f(percentile(s, 0.5))} | ${f(percentile(s, 0.99))} | ${f(s.at(-1) ?? NaN)} | ${f(percentile(m, 0.5))} | ${r.missed} | ${(r.bytesPerConnection / 1024).toFixed(1)} KiB |`;
}

async function main(): Promise<void> {
  const sim = await startSimulator({ crds: butlerCrds() });
  let butler: ButlerProcess | undefined;
  try {
    await simCall(sim, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
    for (let i = 0; i < CLUSTERS; i++)
      await simCall(sim, 'POST', clusterPath, cluster(`cluster-${String(i).padStart(3, '0')}`));
    const target = (await simCall(sim, 'POST', clusterPath, cluster(TARGET))) as { metadata: Record<string, unknown> };
    // The floor broadcasts a frame of the same shape and size as butler-server's cluster_update.
    target.metadata.annotations = { 'bench-seq': '0' };
    const frameTemplate = JSON.stringify({ type: 'cluster_update', payload: { cluster: target } });

    const results: Result[] = [];
    for (const n of SIZES) {
      process.stderr.write(`live bench: ${n} clients, butler-server…\n`);
      // A fresh process per size, so that its memory growth is that of these connections only.
      butler = await startLiveButler(sim);
      results.push(await runButler(sim, n, butler));
      await stopProcess(butler.proc);
      butler = undefined;
      process.stderr.write(`live bench: ${n} clients, floor…\n`);
      results.push(await runFloor(n, frameTemplate));
    }
    const lines = [
      `Live updates: ${CHANGES} changes of one TenantCluster (${CLUSTERS + 1} in the simulator), clients in ${PROCS} processes.`,
      'Latency = from the change request to the simulator (floor: the broadcast command) until each client received it.',
      '',
      '| clients | server | p50 ms | p99 ms | max ms | median of per-change max ms | missed | memory per idle connection |',
      '|---|---|---|---|---|---|---|---|',
      ...results.map(row),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    if (butler) await stopProcess(butler.proc);
    await sim.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`live bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
