// Kubernetes API proxy (issue 8, "Performance"): the latency a small GET gains by going through
// /api/proxy/management (p50, p99, one request at a time) and the throughput of a large LIST through the proxy,
// each side by side with the same request straight to the simulator over the same transport the proxy uses
// upstream (HTTPS, keep-alive), in the same run and interleaved, so that both see the same machine noise.
//
// The simulator and butler-server each run in their own process; this process is only the client.
//
// Run: npx tsx bench/proxy.bench.ts   (PROXY_BENCH_REQUESTS=1000 PROXY_BENCH_LIST_MB=40 PROXY_BENCH_LIST_RUNS=6)
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { startButler, stopProcess } from './lib/butler-process.js';
import { forkSimulator, serveSimulator, stopSimulator } from './lib/sim-process.js';
import { median, percentile } from './lib/stats.js';

const SELF = fileURLToPath(import.meta.url);
const REQUESTS = Number(process.env.PROXY_BENCH_REQUESTS ?? 1000);
const WARMUP = 200;
const LIST_MB = Number(process.env.PROXY_BENCH_LIST_MB ?? 40);
const LIST_RUNS = Number(process.env.PROXY_BENCH_LIST_RUNS ?? 6);
const ITEM_BYTES = 100 * 1024;
const NS = 'bench';
const SMALL_PATH = `/api/v1/namespaces/${NS}/configmaps/small`;
const LIST_PATH = `/api/v1/namespaces/${NS}/configmaps?labelSelector=size%3Dlarge`;

// ---- child role: the seeded simulator in its own process ----------------------------------------------------------
async function runSimulatorChild(): Promise<void> {
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
  await serveSimulator({ crds: butlerCrds(), seed });
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

async function main(): Promise<void> {
  const sim = await forkSimulator(SELF, { PROXY_BENCH_ROLE: 'sim' });
  const butler = await startButler(sim.kubeconfigPath);
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
    console.log(`| ${direct.name} | ${f(percentile(d, 0.5))} | ${f(percentile(d, 0.99))} |`);
    console.log(`| ${proxied.name} | ${f(percentile(p, 0.5))} | ${f(percentile(p, 0.99))} |`);
    console.log(
      `| **added by the proxy** | **${f(percentile(p, 0.5) - percentile(d, 0.5))}** | **${f(percentile(p, 0.99) - percentile(d, 0.99))}** |`,
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
    await stopSimulator(sim);
  }
}

if (process.env.PROXY_BENCH_ROLE === 'sim') await runSimulatorChild();
else await main();
