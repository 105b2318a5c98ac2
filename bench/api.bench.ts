// REST list performance (issue 4, "Performance"): with 1,000 TenantClusters (~1.5 KB each) in the simulator,
// GET /api/clusters latency p50/p99 with one client at a time, and requests/s + MB/s with 50 connections
// (autocannon), side by side with listing the same objects straight from the simulator; then the server's memory
// with 10,000 cached clusters.
//
// The simulator and butler-server each run in their own process, so the load generator (this process) shares
// no event loop with what it measures.
//
// Run: npx tsx bench/api.bench.ts        (API_BENCH_CLUSTERS=1000 API_BENCH_SECONDS=10 API_BENCH_MEMORY_CLUSTERS=10000)
import http from 'node:http';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- autocannon ships no type declarations; the part used here is typed below
import autocannonUntyped from 'autocannon';

interface AutocannonResult {
  requests: { average: number };
  throughput: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
const autocannon = autocannonUntyped as (o: {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
}) => Promise<AutocannonResult>;
import { startButler, stopProcess } from './lib/butler-process.js';
import { forkSimulator, serveSimulator, stopSimulator } from './lib/sim-process.js';
import { percentile, rssBytes, sleep } from './lib/stats.js';

const SELF = fileURLToPath(import.meta.url);
const CLUSTERS = Number(process.env.API_BENCH_CLUSTERS ?? 1000);
const MEMORY_CLUSTERS = Number(process.env.API_BENCH_MEMORY_CLUSTERS ?? 10_000);
const SECONDS = Number(process.env.API_BENCH_SECONDS ?? 10);
const SEQUENTIAL = 300;
const CONNECTIONS = 50;
const NAMESPACE = 'bench';
const TC_PATH = `/apis/butler.butlerlabs.dev/v1alpha1/namespaces/${NAMESPACE}/tenantclusters`;

function tenantCluster(i: number) {
  const name = `cluster-${String(i).padStart(5, '0')}`;
  return {
    apiVersion: 'butler.butlerlabs.dev/v1alpha1',
    kind: 'TenantCluster',
    metadata: {
      name,
      namespace: NAMESPACE,
      labels: {
        'butler.butlerlabs.dev/team': `team-${i % 17}`,
        'app.kubernetes.io/managed-by': 'butler',
        env: 'bench',
      },
      annotations: {
        'butler.butlerlabs.dev/created-by': 'admin',
        description: `Benchmark tenant cluster number ${i}, with enough text to make the object about the size of a real one.`,
        'butler.butlerlabs.dev/owner': `owner-${i % 23}@example.com`,
        'kubectl.kubernetes.io/last-applied-configuration': `{"kind":"TenantCluster","name":"${name}","padding":"${'x'.repeat(160)}"}`,
      },
    },
    spec: {
      kubernetesVersion: 'v1.30.2',
      providerConfigRef: { name: 'harvester-prod', namespace: 'butler-system' },
      workers: { replicas: 3, machineTemplate: { cpu: 4, memory: '16Gi', diskSize: '100Gi' } },
      networking: {
        podCIDR: '10.244.0.0/16',
        serviceCIDR: '10.96.0.0/12',
        loadBalancerPool: { start: '10.40.0.10', end: '10.40.0.20' },
      },
      infrastructureOverride: {
        harvester: { networkName: 'default/vlan40-workloads', imageName: 'default/image-5rs6d', namespace: 'vms' },
      },
      controlPlane: { replicas: 1, serviceType: 'LoadBalancer', certSANs: [`${name}.clusters.example.com`] },
      addons: {
        cni: { provider: 'cilium', version: '1.15.6' },
        loadBalancer: { provider: 'metallb', version: '0.14.5' },
      },
    },
  };
}

// ---- child role: the simulator, seeded, in its own process -------------------------------------------------------
async function runSimulatorChild(count: number): Promise<void> {
  const { butlerCrds } = await import('../sim/crds.js');
  const seed: object[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }];
  for (let i = 0; i < count; i++) seed.push(tenantCluster(i));
  await serveSimulator({ crds: butlerCrds(), seed });
}

const startSimProcess = (count: number) =>
  forkSimulator(SELF, { API_BENCH_ROLE: 'sim', API_BENCH_SIM_COUNT: String(count) });

/** One GET with a keep-alive agent; resolves with the body size and the elapsed milliseconds. */
function timedGet(
  agent: http.Agent,
  url: string,
  token: string,
  gzip = false,
): Promise<{ ms: number; bytes: number; items: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.get(
      url,
      { agent, headers: { authorization: `Bearer ${token}`, ...(gzip ? { 'accept-encoding': 'gzip' } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const ms = performance.now() - started;
          let items = -1;
          if (!gzip) {
            const parsed = JSON.parse(body.toString()) as { clusters?: unknown[]; items?: unknown[] };
            items = (parsed.clusters ?? parsed.items ?? []).length;
          }
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} from ${url}`));
          else resolve({ ms, bytes: body.length, items });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

async function sequential(url: string, token: string, gzip = false) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const first = await timedGet(agent, url, token, gzip);
  for (let i = 0; i < 20; i++) await timedGet(agent, url, token, gzip); // warm-up
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) times.push((await timedGet(agent, url, token, gzip)).ms);
  agent.destroy();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), bytes: first.bytes, items: first.items };
}

async function concurrent(url: string, token: string, gzip = false) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}`, ...(gzip ? { 'accept-encoding': 'gzip' } : {}) },
  });
  return {
    rps: result.requests.average,
    mbps: result.throughput.average / 1024 / 1024,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors,
  };
}

async function main(): Promise<void> {
  const rows: string[] = [];
  console.error(`starting the simulator with ${CLUSTERS} TenantClusters …`);
  const sim = await startSimProcess(CLUSTERS);
  const butler = await startButler(sim.kubeconfigPath);
  try {
    const direct = `${sim.url}${TC_PATH}`;
    const viaButler = `${butler.url}/api/clusters`;
    const d1 = await sequential(direct, sim.token);
    const b1 = await sequential(viaButler, butler.token);
    const bz = await sequential(viaButler, butler.token, true);
    if (b1.items !== CLUSTERS || d1.items !== CLUSTERS)
      throw new Error(`expected ${CLUSTERS} items, got ${b1.items} / ${d1.items}`);
    console.error('50 connections: simulator …');
    const dN = await concurrent(direct, sim.token);
    console.error('50 connections: butler-server …');
    const bN = await concurrent(viaButler, butler.token);
    console.error('50 connections: butler-server, gzip …');
    const bNz = await concurrent(viaButler, butler.token, true);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(2);
    rows.push(
      `### GET /api/clusters with ${CLUSTERS} TenantClusters`,
      '',
      '| | body | 1 client p50 | 1 client p99 | 50 conns req/s | 50 conns MB/s | 50 conns p50 / p99 | errors |',
      '|---|---|---|---|---|---|---|---|',
      `| simulator LIST (direct) | ${mb(d1.bytes)} MB | ${d1.p50.toFixed(1)} ms | ${d1.p99.toFixed(1)} ms | ${dN.rps.toFixed(0)} | ${dN.mbps.toFixed(1)} | ${dN.p50} / ${dN.p99} ms | ${dN.non2xx} |`,
      `| butler-server (cache) | ${mb(b1.bytes)} MB | ${b1.p50.toFixed(1)} ms | ${b1.p99.toFixed(1)} ms | ${bN.rps.toFixed(0)} | ${bN.mbps.toFixed(1)} | ${bN.p50} / ${bN.p99} ms | ${bN.non2xx} |`,
      `| butler-server, gzip | ${mb(bz.bytes)} MB | ${bz.p50.toFixed(1)} ms | ${bz.p99.toFixed(1)} ms | ${bNz.rps.toFixed(0)} | ${bNz.mbps.toFixed(1)} | ${bNz.p50} / ${bNz.p99} ms | ${bNz.non2xx} |`,
      '',
      `Throughput ratio butler-server / direct list at ${CONNECTIONS} connections: ${(bN.rps / Math.max(dN.rps, 0.001)).toFixed(1)}× ` +
        `uncompressed, ${(bNz.rps / Math.max(dN.rps, 0.001)).toFixed(1)}× with gzip (MB/s of the uncompressed rows is bounded by the ` +
        'load generator, which parses every 1.5 MB answer on the same 2 cores).',
      '',
    );
  } finally {
    await stopProcess(butler.proc);
    await stopSimulator(sim);
  }

  console.error(`starting the simulator with ${MEMORY_CLUSTERS} TenantClusters (memory) …`);
  const empty = await startSimProcess(0);
  const b0 = await startButler(empty.kubeconfigPath);
  await sleep(2000);
  const rssEmpty = rssBytes(b0.proc.pid!);
  await stopProcess(b0.proc);
  await stopSimulator(empty);
  const big = await startSimProcess(MEMORY_CLUSTERS);
  const bb = await startButler(big.kubeconfigPath);
  try {
    const agent = new http.Agent({ keepAlive: true });
    const listed = await timedGet(agent, `${bb.url}/api/clusters`, bb.token);
    agent.destroy();
    await sleep(2000);
    const rssBig = rssBytes(bb.proc.pid!);
    rows.push(
      `### butler-server memory (RSS)`,
      '',
      '| cached TenantClusters | RSS | list body |',
      '|---|---|---|',
      `| 0 | ${(rssEmpty / 1024 / 1024).toFixed(0)} MB | |`,
      `| ${listed.items} | ${(rssBig / 1024 / 1024).toFixed(0)} MB | ${(listed.bytes / 1024 / 1024).toFixed(1)} MB |`,
      '',
    );
  } finally {
    await stopProcess(bb.proc);
    await stopSimulator(big);
  }
  console.log(rows.join('\n'));
}

if (process.env.API_BENCH_ROLE === 'sim') void runSimulatorChild(Number(process.env.API_BENCH_SIM_COUNT ?? 0));
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
