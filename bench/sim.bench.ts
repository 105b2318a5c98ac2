// Simulator benchmark: list time for 10,000 objects, watch fan-out to 100 watchers, memory per 1,000
// objects. Prints a markdown table. Run: npx tsx bench/sim.bench.ts (node --expose-gc for steadier memory).
import http from 'node:http';
import { startSimulator } from '../sim/index.js';

const N = 10_000;
const WATCHERS = 100;

function configMaps(n: number, namespace: string): object[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${String(i).padStart(5, '0')}`, namespace, labels: { app: 'bench', shard: String(i % 10) } },
    data: { key: 'x'.repeat(200), index: String(i) },
  }));
}

function get(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { Authorization: `Bearer ${token}` }, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve(bytes));
      })
      .on('error', reject);
  });
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
  const baseline = heapUsed();
  const sim = await startSimulator({ seed: configMaps(N, 'default'), historySize: 100 });
  const loaded = heapUsed();
  const perThousand = (loaded - baseline) / (N / 1000);

  const listUrl = `${sim.url}/api/v1/namespaces/default/configmaps`;
  await get(listUrl, sim.token);
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    size = await get(listUrl, sim.token);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const selT0 = performance.now();
  await get(`${listUrl}?labelSelector=shard%3D3`, sim.token);
  const selectorMs = performance.now() - selT0;

  const rv = JSON.parse(
    await new Promise<string>((resolve) => {
      http.get(
        `${sim.url}/api/v1/namespaces/default/configmaps?limit=1`,
        { headers: { Authorization: `Bearer ${sim.token}` }, agent: false },
        (res) => {
          let s = '';
          res.on('data', (c) => (s += c));
          res.on('end', () => resolve(s));
        },
      );
    }),
  ).metadata.resourceVersion;
  const reqs: http.ClientRequest[] = [];
  let received = 0;
  let allReceived!: () => void;
  const done = new Promise<void>((r) => (allReceived = r));
  await Promise.all(
    Array.from(
      { length: WATCHERS },
      () =>
        new Promise<void>((ready) => {
          const req = http.get(
            `${sim.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`,
            { headers: { Authorization: `Bearer ${sim.token}` }, agent: false },
            (res) => {
              ready();
              res.on('data', (c: Buffer) => {
                if (c.includes('"fanout"')) {
                  received++;
                  if (received === WATCHERS) allReceived();
                }
              });
            },
          );
          reqs.push(req);
        }),
    ),
  );
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const body = JSON.stringify({ metadata: { name: 'fanout' } });
    const req = http.request(
      `${sim.url}/api/v1/namespaces/default/configmaps`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${sim.token}`, 'Content-Type': 'application/json' },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('fan-out timed out')), 10_000))]);
  const fanoutMs = performance.now() - t0;
  for (const r of reqs) r.destroy();
  await sim.stop();

  console.log('| measurement | value |');
  console.log('|---|---|');
  console.log(`| list ${N} ConfigMaps (median of 5, ${(size / 1e6).toFixed(1)} MB) | ${times[2].toFixed(1)} ms |`);
  console.log(`| list ${N} ConfigMaps with a label selector | ${selectorMs.toFixed(1)} ms |`);
  console.log(`| one change reaching ${WATCHERS} watchers (create → last watcher) | ${fanoutMs.toFixed(1)} ms |`);
  console.log(`| heap per 1,000 stored ConfigMaps (~0.4 KB each) | ${(perThousand / 1024 / 1024).toFixed(2)} MB |`);
}

void main();
