// Memory under large changes (issue 13): 600 merge-patches of ~1 MB each into one TenantCluster's
// spec.addons.cni.values (free-form in the CRD), with no client connected. The server's RSS must stay under
// 320 MiB (the Deployment's limit is 512 Mi); before the byte bounds the replay history kept the last 1,024 events
// whatever their size and RSS reached ~790 MB after 550 such changes.
//
// The compiled server (dist/, plain node, as in production) runs in its own process against a simulator in another
// one; this process only sends the patches and samples the server's RSS from /proc every 100 ms. The same run is
// repeated with the byte bound lifted (BUTLER_WS_EVENT_BUFFER_BYTES=64GiB: the event count alone bounds the history,
// as before) for comparison.
//
// Run: npx tsx bench/memory.bench.ts        (MEMORY_BENCH_CHANGES=600 MEMORY_BENCH_VALUE_BYTES=1000000
//                                             MEMORY_BENCH_SKIP_UNBOUNDED=1 to run the default settings only)
import { fileURLToPath } from 'node:url';
import { buildServer, startButler, stopProcess, type ButlerProcess } from './lib/butler-process.js';
import { forkSimulator, serveSimulator, stopSimulator, type SimProcess } from './lib/sim-process.js';
import { rssBytes, sleep } from './lib/stats.js';

const SELF = fileURLToPath(import.meta.url);
const CHANGES = Number(process.env.MEMORY_BENCH_CHANGES ?? 600);
const VALUE_BYTES = Number(process.env.MEMORY_BENCH_VALUE_BYTES ?? 1_000_000);
const GOAL_BYTES = 320 * 2 ** 20;
const NAMESPACE = 'bench';
const NAME = 'big';
const CLUSTER_PATH = `/apis/butler.butlerlabs.dev/v1alpha1/namespaces/${NAMESPACE}/tenantclusters/${NAME}`;
const METRICS_TOKEN = 'memory-bench-metrics-token';
const SETTLE_MS = 5000;
const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

// ---- child role: the simulator, with a short watch history (its own memory is not what is measured) -------------
async function runSimulatorChild(): Promise<void> {
  const { butlerCrds } = await import('../sim/crds.js');
  const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await serveSimulator({
    crds: butlerCrds(),
    historySize: 50,
    seed: [
      ns('butler-system'),
      ns(NAMESPACE),
      {
        apiVersion: 'butler.butlerlabs.dev/v1alpha1',
        kind: 'TenantCluster',
        metadata: { name: NAME, namespace: NAMESPACE },
        spec: {
          kubernetesVersion: 'v1.30.2',
          providerConfigRef: { name: 'harvester-prod' },
          workers: { replicas: 3 },
          addons: { cni: { provider: 'cilium', version: '1.15.6' } },
        },
      },
    ],
  });
}

/** ~`bytes` of Helm values: 1,000 keys of distinct strings (a new object each time, as a real change would be). */
function values(seq: number, bytes: number): Record<string, string> {
  const keys = 1000;
  const out: Record<string, string> = {};
  const filler = 'v'.repeat(Math.max(1, Math.floor(bytes / keys) - 16));
  for (let k = 0; k < keys; k++) out[`key${k}`] = `${seq}-${k}-${filler}`;
  return out;
}

async function patchCluster(sim: SimProcess, seq: number): Promise<string> {
  const res = await fetch(`${sim.url}${CLUSTER_PATH}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ spec: { addons: { cni: { version: '1.15.6', values: values(seq, VALUE_BYTES) } } } }),
  });
  const body = (await res.json()) as { metadata?: { resourceVersion?: string } };
  if (res.status !== 200) throw new Error(`patch ${seq}: HTTP ${res.status}`);
  return body.metadata!.resourceVersion!;
}

async function clusterVersion(b: ButlerProcess): Promise<string | undefined> {
  const res = await fetch(`${b.url}/api/clusters/${NAMESPACE}/${NAME}`, {
    headers: { authorization: `Bearer ${b.token}` },
  });
  if (res.status !== 200) return undefined;
  return ((await res.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

async function bufferedBytes(b: ButlerProcess): Promise<Record<string, number>> {
  const res = await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const out: Record<string, number> = {};
  for (const m of (await res.text()).matchAll(/^butler_buffered_bytes\{buffer="(\w+)"\} (\S+)$/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

interface Run {
  label: string;
  startRss: number;
  peakRss: number;
  endRss: number;
  replayBytes: number;
  seconds: number;
}

async function measure(label: string, env: Record<string, string>): Promise<Run> {
  const sim = await forkSimulator(SELF, { MEMORY_BENCH_ROLE: 'sim' });
  let server: ButlerProcess | undefined;
  try {
    server = await startButler(sim.kubeconfigPath, {
      built: true,
      env: { BUTLER_METRICS_TOKEN: METRICS_TOKEN, ...env },
    });
    const pid = server.proc.pid!;
    await sleep(2000);
    const startRss = rssBytes(pid);
    let peakRss = startRss;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, rssBytes(pid) || 0);
        await sleep(100);
      }
    })();
    const started = Date.now();
    let last = '';
    for (let i = 0; i < CHANGES; i++) last = await patchCluster(sim, i);
    // Until the server's cache holds the last change.
    const deadline = Date.now() + 120_000;
    while ((await clusterVersion(server)) !== last) {
      if (Date.now() > deadline) throw new Error('the server did not catch up within 120 s');
      await sleep(200);
    }
    const seconds = (Date.now() - started) / 1000;
    await sleep(SETTLE_MS);
    sampling = false;
    await sampler;
    const endRss = rssBytes(pid);
    const replayBytes = (await bufferedBytes(server)).replay ?? NaN;
    return { label, startRss, peakRss: Math.max(peakRss, endRss), endRss, replayBytes, seconds };
  } finally {
    if (server) await stopProcess(server.proc);
    await stopSimulator(sim);
  }
}

async function main(): Promise<void> {
  buildServer();
  const runs = [await measure('default settings', {})];
  if (!process.env.MEMORY_BENCH_SKIP_UNBOUNDED) {
    runs.push(
      await measure('history bounded by count only (`BUTLER_WS_EVENT_BUFFER_BYTES=64GiB`)', {
        BUTLER_WS_EVENT_BUFFER_BYTES: '64GiB',
      }),
    );
  }
  const rows = [
    `${CHANGES} merge-patches of ~${(VALUE_BYTES / 1e6).toFixed(1)} MB into one TenantCluster's \`spec.addons.cni.values\`, no client connected; compiled server (\`node dist/src/main.js\`), RSS from /proc every 100 ms. Goal: under ${MiB(GOAL_BYTES)} throughout.`,
    '',
    '| server | RSS before | peak RSS | RSS after (+5 s) | replay history held | time for the changes | goal |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...runs.map(
      (r) =>
        `| ${r.label} | ${MiB(r.startRss)} | ${MiB(r.peakRss)} | ${MiB(r.endRss)} | ${MiB(r.replayBytes)} | ${r.seconds.toFixed(0)} s | ${r.peakRss < GOAL_BYTES ? 'met' : '**not met**'} |`,
    ),
  ];
  console.log(rows.join('\n'));
}

if (process.env.MEMORY_BENCH_ROLE === 'sim') void runSimulatorChild();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
