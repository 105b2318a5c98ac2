// Kubernetes API proxy (issue 8, "Performance"): the latency a small GET gains by going through
// /api/proxy/management (p50, p99, one request at a time) and the throughput of a large LIST through the proxy,
// each side by side with the same request straight to the simulator over the same transport the proxy uses
// upstream (HTTPS, keep-alive), in the same run and interleaved, so that both see the same machine noise.
//
// The simulator and butler-server each run in their own process; this process is only the client.
//
// Run: npx tsx bench/proxy.bench.ts   (PROXY_BENCH_REQUESTS=1000 PROXY_BENCH_LIST_MB=40 PROXY_BENCH_LIST_RUNS=6)
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), '..');
const REQUESTS = Number(process.env.PROXY_BENCH_REQUESTS ?? 1000);
const WARMUP = 200;
const LIST_MB = Number(process.env.PROXY_BENCH_LIST_MB ?? 40);
const LIST_RUNS = Number(process.env.PROXY_BENCH_LIST_RUNS ?? 6);
const ITEM_BYTES = 100 * 1024;
const PASSWORD = 'bench-password-123';
const NS = 'bench';
const SMALL_PATH = `/api/v1/namespaces/${NS}/configmaps/small`;
const LIST_PATH = `/api/v1/namespaces/${NS}/configmaps?labelSelector=size%3Dlarge`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- child role: the seeded simulator in its own process ----------------------------------------------------------
async function runSimulatorChild(): Promise<void> {
  const { startSimulator } = await import('../sim/index.js');
  const filler = 'x'.repeat(ITEM_BYTES);
  const count = Math.ceil((LIST_MB * 1024 * 1024) / ITEM_BYTES);
  const cm = (name: string, labels: Record<string, string>, data: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: NS, labels },
    data,
  });
  const seed: object[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    cm('small', { size: 'small' }, { hello: 'world' }),
  ];
  for (let i = 0; i < count; i++) seed.push(cm(`large-${i}`, { size: 'large' }, { filler }));
  // butler-server's own caches and revocation store need the Butler CRDs and its system namespace.
  const { butlerCrds } = await import('../sim/crds.js');
  seed.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'butler-system' } });
  const sim = await startSimulator({ crds: butlerCrds(), seed });
  process.send!({ type: 'ready', token: sim.token, kubeconfigPath: sim.kubeconfigPath, kubeconfig: sim.kubeconfig });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') void sim.stop().then(() => process.exit(0));
  });
}

interface SimHandle {
  proc: ChildProcess;
  token: string;
  kubeconfigPath: string;
  kubeconfig: string;
}

async function startSimProcess(): Promise<SimHandle> {
  const proc = fork(SELF, [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
    env: { ...process.env, PROXY_BENCH_ROLE: 'sim' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Omit<SimHandle, 'proc'>>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
    proc.on('message', (m: { type: string } & Omit<SimHandle, 'proc'>) => {
      if (m.type === 'ready') resolve(m);
    });
  });
  return { proc, ...ready };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startButler(sim: SimHandle): Promise<{ proc: ChildProcess; url: string; token: string }> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/main.ts'), '--kubeconfig', sim.kubeconfigPath, '--addr', `127.0.0.1:${port}`],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        BUTLER_JWT_SECRET: randomBytes(36).toString('base64'),
        BUTLER_ADMIN_PASSWORD: PASSWORD,
        BUTLER_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ok = await fetch(`${url}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error('butler-server did not become ready');
    await sleep(200);
  }
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  const { token } = (await res.json()) as { token: string };
  return { proc, url, token };
}

async function stopProcess(proc: ChildProcess, message?: object): Promise<void> {
  if (proc.exitCode !== null) return;
  if (message) proc.send(message);
  else proc.kill('SIGTERM');
  await Promise.race([new Promise((r) => proc.once('exit', r)), sleep(15_000)]);
  if (proc.exitCode === null) proc.kill('SIGKILL');
}

interface Target {
  name: string;
  get(path: string): Promise<{ ms: number; bytes: number; status: number }>;
}

function target(name: string, base: string, token: string, agent: http.Agent, prefix = ''): Target {
  const mod = base.startsWith('https:') ? https : http;
  return {
    name,
    get: (path) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const req = mod.get(
          `${base}${prefix}${path}`,
          { agent, headers: { authorization: `Bearer ${token}` } },
          (res) => {
            let bytes = 0;
            res.on('data', (c: Buffer) => (bytes += c.length));
            res.on('end', () => resolve({ ms: performance.now() - started, bytes, status: res.statusCode ?? 0 }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
      }),
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

async function main(): Promise<void> {
  const sim = await startSimProcess();
  const butler = await startButler(sim);
  try {
    const server = /server:\s*(\S+)/.exec(sim.kubeconfig)![1]!;
    const ca = /certificate-authority-data:\s*(\S+)/.exec(sim.kubeconfig)?.[1];
    const direct = target(
      'direct (simulator, HTTPS)',
      server,
      sim.token,
      new https.Agent({ keepAlive: true, maxSockets: 1, ...(ca ? { ca: Buffer.from(ca, 'base64') } : {}) }),
    );
    const proxied = target(
      'through the proxy',
      butler.url,
      butler.token,
      new http.Agent({ keepAlive: true, maxSockets: 1 }),
      '/api/proxy/management',
    );

    // Small GET: interleaved, one request at a time.
    const lat = new Map<Target, number[]>([
      [direct, []],
      [proxied, []],
    ]);
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      for (const t of i % 2 === 0 ? [direct, proxied] : [proxied, direct]) {
        const r = await t.get(SMALL_PATH);
        if (r.status !== 200) throw new Error(`${t.name}: HTTP ${r.status}`);
        if (i >= WARMUP) lat.get(t)!.push(r.ms);
      }
    }
    const d = [...lat.get(direct)!].sort((a, b) => a - b);
    const p = [...lat.get(proxied)!].sort((a, b) => a - b);

    // Large LIST: interleaved runs, MB/s of the whole answer.
    const rates = new Map<Target, number[]>([
      [direct, []],
      [proxied, []],
    ]);
    let listBytes = 0;
    for (let i = 0; i < LIST_RUNS + 1; i++) {
      for (const t of i % 2 === 0 ? [direct, proxied] : [proxied, direct]) {
        const r = await t.get(LIST_PATH);
        if (r.status !== 200) throw new Error(`${t.name}: HTTP ${r.status}`);
        listBytes = r.bytes;
        if (i > 0) rates.get(t)!.push(r.bytes / 1048576 / (r.ms / 1000));
      }
    }
    const dRate = median(rates.get(direct)!);
    const pRate = median(rates.get(proxied)!);

    const f = (n: number) => n.toFixed(2);
    console.log(
      `Small GET (\`${SMALL_PATH}\`, ${REQUESTS} requests each after ${WARMUP} warm-up, one at a time, keep-alive):`,
    );
    console.log('');
    console.log('| path | p50 ms | p99 ms |');
    console.log('|---|---:|---:|');
    console.log(`| ${direct.name} | ${f(quantile(d, 0.5))} | ${f(quantile(d, 0.99))} |`);
    console.log(`| ${proxied.name} | ${f(quantile(p, 0.5))} | ${f(quantile(p, 0.99))} |`);
    console.log(
      `| **added by the proxy** | **${f(quantile(p, 0.5) - quantile(d, 0.5))}** | **${f(quantile(p, 0.99) - quantile(d, 0.99))}** |`,
    );
    console.log('');
    console.log(
      `Large LIST (${(listBytes / 1048576).toFixed(1)} MiB, ${LIST_RUNS} runs each, median; target ≥ 80% of direct):`,
    );
    console.log('');
    console.log('| path | MiB/s | share of direct |');
    console.log('|---|---:|---:|');
    console.log(`| ${direct.name} | ${dRate.toFixed(0)} | 100% |`);
    console.log(`| ${proxied.name} | ${pRate.toFixed(0)} | ${((pRate / dRate) * 100).toFixed(0)}% |`);
  } finally {
    await stopProcess(butler.proc);
    await stopProcess(sim.proc, { type: 'stop' });
  }
}

if (process.env.PROXY_BENCH_ROLE === 'sim') await runSimulatorChild();
else await main();
