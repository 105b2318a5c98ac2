// Terminals in shell pods (issue 15): time from WebSocket open to the first prompt, and keystroke echo p50/p99,
// pod mode (the default: a shell pod on the simulator's kubelet, attached through the simulated API server) next to
// local mode (a PTY forked by the server). butler-server and the simulator each run in their own process, as a server
// and its cluster would, so neither the measuring client nor the simulated kubelet shares an event loop with the server.
//
// Run: node --import tsx bench/terminal-pod.bench.ts   (TERMINAL_POD_BENCH_OPENS=10 TERMINAL_POD_BENCH_KEYS=300)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { freePort, ROOT, startButler, stopProcess } from './lib/butler-process.js';
import { percentile, sleep } from './lib/stats.js';

const OPENS = Number(process.env.TERMINAL_POD_BENCH_OPENS ?? 10);
const KEYS = Number(process.env.TERMINAL_POD_BENCH_KEYS ?? 300);
const TIMEOUT_MS = 60_000;

interface Session {
  ws: WebSocket;
  text(): string;
  onOutput(listener: (text: string) => void): void;
  write(data: string): void;
}

function waitFor(s: Session, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pattern.test(s.text())) return resolve();
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} in ${JSON.stringify(s.text().slice(-300))}`)),
      TIMEOUT_MS,
    );
    s.onOutput(() => {
      if (pattern.test(s.text())) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Opens a terminal; resolves with the session and the milliseconds from WebSocket open to the first prompt. */
async function open(url: string, token: string): Promise<{ session: Session; firstPromptMs: number }> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  let text = '';
  const listeners: ((t: string) => void)[] = [];
  ws.on('message', (d: Buffer) => {
    text += d.toString('utf8');
    if (text.length > 8192) text = text.slice(-8192);
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
    onOutput: (l) => listeners.push(l),
    write: (data) => ws.send(JSON.stringify({ type: 'data', data })),
  };
  await waitFor(session, /\$ $/);
  return { session, firstPromptMs: performance.now() - opened };
}

async function echoLatency(s: Session): Promise<{ p50: number; p99: number }> {
  s.write('stty -icanon; echo ready-for""-keys; cat >/dev/null\r');
  await waitFor(s, /ready-for-keys/);
  await sleep(200);
  const samples: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const before = s.text().length;
    const arrived = new Promise<void>((resolve) =>
      s.onOutput((t) => {
        if (t.length !== before && t.endsWith(key)) resolve();
      }),
    );
    const started = performance.now();
    s.write(key);
    await arrived;
    samples.push(performance.now() - started);
  }
  s.write('\x03');
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
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

async function measure(mode: 'pod' | 'local'): Promise<{ prompt: number[]; echo: { p50: number; p99: number } }> {
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
      const { session } = await open(url, butler.token);
      const echo = await echoLatency(session);
      session.ws.close(1000);
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

async function main(): Promise<void> {
  const pod = await measure('pod');
  const local = await measure('local');
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  const s = (n: number) => `${(n / 1000).toFixed(2)} s`;
  console.log('| measurement | pod mode (shell pod on the simulator) | local mode (PTY in the server) | target |');
  console.log('|---|---|---|---|');
  console.log(
    `| WebSocket open → first prompt, median of ${OPENS} | ${s(percentile(pod.prompt, 0.5))} | ${s(percentile(local.prompt, 0.5))} | ≤ 2 s (pod) |`,
  );
  console.log(`| WebSocket open → first prompt, slowest | ${s(pod.prompt.at(-1)!)} | ${s(local.prompt.at(-1)!)} | |`);
  console.log(`| keystroke echo p50 (${KEYS} keys) | ${ms(pod.echo.p50)} | ${ms(local.echo.p50)} | |`);
  console.log(`| keystroke echo p99 | ${ms(pod.echo.p99)} | ${ms(local.echo.p99)} | ≤ 5 ms |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
