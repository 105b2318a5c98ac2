// Terminals in shell pods (issue 15): time from WebSocket open to the first prompt, and keystroke echo p50/p99,
// pod mode (the default: a shell pod on the simulator's kubelet, attached through the simulated API server) next to
// local mode (a PTY forked by the server). butler-server and the simulator each run in their own process, as a server
// and its cluster would, so neither the measuring client nor the simulated kubelet shares an event loop with the server.
// Next to them, the floor: the same processes and hops with bare relays (bench/terminal-floor-hop.ts), which shows
// what the machine's process wake-ups cost before any work of ours.
//
// Run: node --import tsx bench/terminal-pod.bench.ts
//   (TERMINAL_POD_BENCH_OPENS=10 TERMINAL_POD_BENCH_KEYS=1000 TERMINAL_POD_BENCH_ROUNDS=3: keys per round, one
//   session per round; the p99 is reported per round and over all keys)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort, ROOT, startButler, stopProcess } from './lib/butler-process.js';
import { percentile, sleep } from './lib/stats.js';

const OPENS = Number(process.env.TERMINAL_POD_BENCH_OPENS ?? 10);
const KEYS = Number(process.env.TERMINAL_POD_BENCH_KEYS ?? 1000);
const ROUNDS = Number(process.env.TERMINAL_POD_BENCH_ROUNDS ?? 3);
const TIMEOUT_MS = 60_000;

interface Session {
  ws: WebSocket;
  text(): string;
  onOutput(listener: (text: string) => void): () => void;
  write(data: string): void;
}

function waitFor(s: Session, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pattern.test(s.text())) return resolve();
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${pattern} in ${JSON.stringify(s.text().slice(-300))}`));
    }, TIMEOUT_MS);
    const stop = s.onOutput(() => {
      if (pattern.test(s.text())) {
        clearTimeout(timer);
        stop();
        resolve();
      }
    });
  });
}

/** Opens a terminal; resolves with the session and the milliseconds from WebSocket open to the first prompt. */
async function open(url: string, token: string): Promise<{ session: Session; firstPromptMs: number }> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  let text = '';
  // A listener removes itself once it has what it waited for, so the client's own work per frame stays constant.
  const listeners = new Set<(t: string) => void>();
  ws.on('message', (d: Buffer) => {
    text += d.toString('utf8');
    if (text.length > 8192) text = text.slice(-4096);
    for (const l of listeners) l(text);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const opened = performance.now();
  const session: Session = {
    ws,
    text: () => text,
    onOutput: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    write: (data) => ws.send(JSON.stringify({ type: 'data', data })),
  };
  await waitFor(session, /\$ $/);
  return { session, firstPromptMs: performance.now() - opened };
}

/** Echo times (ms) of KEYS keystrokes, each sent once the previous one's echo arrived. */
async function echoLatency(s: Session): Promise<number[]> {
  s.write('stty -icanon; echo ready-for""-keys; cat >/dev/null\r');
  await waitFor(s, /ready-for-keys/);
  await sleep(200);
  const samples: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const before = s.text();
    const arrived = new Promise<void>((resolve) => {
      const stop = s.onOutput((t) => {
        if (t !== before && t.endsWith(key)) {
          stop();
          resolve();
        }
      });
    });
    const started = performance.now();
    s.write(key);
    await arrived;
    samples.push(performance.now() - started);
  }
  s.write('\x03');
  return samples;
}

interface EchoRounds {
  /** p99 of each round, in run order. */
  roundP99: number[];
  /** Every key of every round, ascending. */
  all: number[];
}

async function echoRounds(openSession: () => Promise<Session>): Promise<EchoRounds> {
  const roundP99: number[] = [];
  const all: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const session = await openSession();
    const samples = await echoLatency(session);
    session.ws.close(1000);
    await sleep(300);
    roundP99.push(
      percentile(
        [...samples].sort((a, b) => a - b),
        0.99,
      ),
    );
    all.push(...samples);
  }
  all.sort((a, b) => a - b);
  return { roundP99, all };
}

interface SimulatorProcess {
  proc: ChildProcess;
  kubeconfigPath: string;
  dir: string;
}

/** `npm run sim` in its own process, with the namespace and ServiceAccount pod mode needs. */
async function startSimulatorProcess(): Promise<SimulatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'butler-bench-sim-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'sim/cli.ts'),
      '--port',
      String(port),
      '--butler-crds',
      '--kubeconfig-out',
      kubeconfigPath,
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const deadline = Date.now() + TIMEOUT_MS;
  while (!existsSync(kubeconfigPath)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error('the simulator did not start');
    await sleep(50);
  }
  for (const args of [
    ['create', 'namespace', 'butler-system'],
    ['create', 'serviceaccount', 'butler-terminal', '--namespace', 'butler-system'],
  ]) {
    const r = spawnSync('kubectl', ['--kubeconfig', kubeconfigPath, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  }
  return { proc, kubeconfigPath, dir };
}

async function measure(mode: 'pod' | 'local'): Promise<{ prompt: number[]; echo: EchoRounds }> {
  const sim = await startSimulatorProcess();
  try {
    const butler = await startButler(sim.kubeconfigPath, {
      // The default reattach grace (its pod heartbeat every 20 s, as in production); a close with 1000 ends a session at once.
      env: { BUTLER_TERMINAL_MODE: mode },
      stdout: 'ignore',
    });
    try {
      const url = `${butler.url.replace('http:', 'ws:')}/ws/terminal/management`;
      const prompt: number[] = [];
      for (let i = 0; i < OPENS; i++) {
        const { session, firstPromptMs } = await open(url, butler.token);
        prompt.push(firstPromptMs);
        session.ws.close(1000);
        await sleep(300);
      }
      const echo = await echoRounds(async () => (await open(url, butler.token)).session);
      prompt.sort((a, b) => a - b);
      return { prompt, echo };
    } finally {
      await stopProcess(butler.proc);
    }
  } finally {
    await stopProcess(sim.proc);
    rmSync(sim.dir, { recursive: true, force: true });
  }
}

/** Starts one floor process and resolves with the port it printed. */
function startFloorHop(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/terminal-floor-hop.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`floor ${args[0]} did not start`)), TIMEOUT_MS);
    proc.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve({ proc, port: Number(d.toString().trim()) });
    });
    proc.once('exit', () => reject(new Error(`floor ${args[0]} exited`)));
  });
}

async function measureFloor(): Promise<EchoRounds> {
  const ptyHost = await startFloorHop(['pty']);
  try {
    const relay = await startFloorHop(['relay', String(ptyHost.port)]);
    try {
      return await echoRounds(async () => (await open(`ws://127.0.0.1:${relay.port}/`, '')).session);
    } finally {
      await stopProcess(relay.proc);
    }
  } finally {
    await stopProcess(ptyHost.proc);
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const pod = await measure('pod');
  const floor = await measureFloor();
  const local = await measure('local');
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  const s = (n: number) => `${(n / 1000).toFixed(2)} s`;
  const rounds = (e: EchoRounds) => e.roundP99.map(ms).join(', ');
  console.log(
    '| measurement | pod mode (shell pod on the simulator) | floor: the same hops, bare relays | local mode (PTY in the server) | target |',
  );
  console.log('|---|---|---|---|---|');
  console.log(
    `| WebSocket open → first prompt, median of ${OPENS} | ${s(percentile(pod.prompt, 0.5))} | | ${s(percentile(local.prompt, 0.5))} | ≤ 2 s (pod) |`,
  );
  console.log(`| WebSocket open → first prompt, slowest | ${s(pod.prompt.at(-1)!)} | | ${s(local.prompt.at(-1)!)} | |`);
  console.log(
    `| keystroke echo p50 (${ROUNDS} rounds × ${KEYS} keys) | ${ms(percentile(pod.echo.all, 0.5))} | ${ms(percentile(floor.all, 0.5))} | ${ms(percentile(local.echo.all, 0.5))} | |`,
  );
  console.log(
    `| keystroke echo p99, all keys | ${ms(percentile(pod.echo.all, 0.99))} | ${ms(percentile(floor.all, 0.99))} | ${ms(percentile(local.echo.all, 0.99))} | ≤ 5 ms |`,
  );
  console.log(`| keystroke echo p99, per round | ${rounds(pod.echo)} | ${rounds(floor)} | ${rounds(local.echo)} | |`);
  console.log('');
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  console.log(
    `Keys are sent one at a time, each as soon as the previous echo arrived. Load average (1 / 5 / 15 min; 2 cores) at start: ${load(loadAtStart)}; at end: ${load(loadavg())}.`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
