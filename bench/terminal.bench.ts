// Browser terminals (issue 6, "Performance"): keystroke echo latency p50/p99 through butler-server versus straight
// on a PTY, output throughput of `cat` of a 50 MB file through the server versus straight, and memory per idle
// session (server process and the shell itself). butler-server runs in its own process (src/main.ts) against the
// simulator; the WebSocket client and the direct PTY run here.
//
// Run: node --expose-gc --import tsx bench/terminal.bench.ts   (TERMINAL_BENCH_KEYS=500 TERMINAL_BENCH_MB=50
//      TERMINAL_BENCH_IDLE=50 to change)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import WebSocket from 'ws';
import { butlerCrds } from '../sim/crds.js';
import { startSimulator } from '../sim/index.js';
import { startButler, stopProcess, type ButlerProcess } from './lib/butler-process.js';
import { percentile, rssBytes, sleep } from './lib/stats.js';

const KEYS = Number(process.env.TERMINAL_BENCH_KEYS ?? 500);
const MB = Number(process.env.TERMINAL_BENCH_MB ?? 50);
const IDLE = Number(process.env.TERMINAL_BENCH_IDLE ?? 50);
const TIMEOUT_MS = 120_000;

/** Something that takes input and delivers output: the server's WebSocket or a PTY. */
interface Terminal {
  write(data: string): void;
  onOutput(listener: (text: string) => void): void;
  close(): void;
}

function directTerminal(cwd: string): Terminal {
  const p = pty.spawn('/bin/bash', ['--norc'], {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, TERM: 'xterm-256color', LANG: 'C.UTF-8', PS1: '$ ' },
  });
  return { write: (d) => p.write(d), onOutput: (l) => p.onData(l), close: () => p.kill('SIGKILL') };
}

async function serverTerminal(url: string, token: string): Promise<Terminal> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    write: (data) => ws.send(JSON.stringify({ type: 'data', data })),
    onOutput: (l) => ws.on('message', (d: Buffer) => l(d.toString('utf8'))),
    close: () => ws.close(),
  };
}

async function waitForText(t: Terminal, pattern: RegExp, send?: string): Promise<void> {
  let text = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} in ${JSON.stringify(text.slice(-300))}`)),
      TIMEOUT_MS,
    );
    t.onOutput((s) => {
      text += s;
      if (text.length > 4096) text = text.slice(-4096);
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    if (send) t.write(send);
  });
}

/** Keystroke → echo: `cat` in canonical mode, the line discipline echoes each character. */
async function echoLatency(t: Terminal): Promise<{ p50: number; p99: number }> {
  await waitForText(t, /\$ $/);
  await waitForText(t, /ready-for-keys/, 'stty -icanon; echo ready-for-keys""; cat >/dev/null\r');
  await sleep(200);
  let resolveEcho: (() => void) | undefined;
  let expected = '';
  t.onOutput((s) => {
    if (resolveEcho && s.includes(expected)) resolveEcho();
  });
  const samples: number[] = [];
  for (let i = 0; i < KEYS; i++) {
    expected = String.fromCharCode(97 + (i % 26));
    const arrived = new Promise<void>((r) => (resolveEcho = r));
    const started = performance.now();
    t.write(expected);
    await arrived;
    samples.push(performance.now() - started);
    resolveEcho = undefined;
  }
  t.write('\x03');
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** Bytes of output per second for `cat` of the file, until the end marker. */
async function throughput(t: Terminal, file: string): Promise<number> {
  await waitForText(t, /\$ $/);
  let bytes = 0;
  t.onOutput((s) => (bytes += s.length));
  const started = performance.now();
  await waitForText(t, /cat-done-marker/, `cat ${file}; echo cat-done""-marker\r`);
  const seconds = (performance.now() - started) / 1000;
  return bytes / seconds;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'terminal-bench-'));
  const sim = await startSimulator({
    crds: butlerCrds(),
    seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'butler-system' } }],
  });
  let butler: ButlerProcess | undefined;
  try {
    // 50 MB of printable lines (base64 of random bytes, 76 columns).
    const file = join(work, 'big.txt');
    const lines: string[] = [];
    const raw = randomBytes(57 * 1000);
    const block = raw.toString('base64').replace(/.{76}/g, '$&\n');
    for (let size = 0; size < MB * 1_000_000; size += block.length) lines.push(block);
    writeFileSync(file, lines.join(''));

    butler = await startButler(sim.kubeconfigPath, {
      nodeArgs: ['--expose-gc'],
      // Local mode: this benchmark measures the PTY path and the shells as children of the server.
      env: {
        BUTLER_TERMINAL_MODE: 'local',
        BUTLER_TERMINAL_MAX_PER_USER: String(IDLE + 10),
        BUTLER_TERMINAL_MAX_TOTAL: String(IDLE + 10),
      },
      stdout: 'ignore',
    });
    const { token } = butler;
    const server = butler.proc;
    const wsUrl = `${butler.url.replace('http:', 'ws:')}/ws/terminal/management`;

    const direct = directTerminal(work);
    const directEcho = await echoLatency(direct);
    direct.close();
    const through = await serverTerminal(wsUrl, token);
    const serverEcho = await echoLatency(through);
    through.close();

    const direct2 = directTerminal(work);
    const directRate = await throughput(direct2, file);
    direct2.close();
    const through2 = await serverTerminal(wsUrl, token);
    const serverRate = await throughput(through2, file);
    through2.close();
    await sleep(500);

    (globalThis as { gc?: () => void }).gc?.();
    const before = rssBytes(server.pid!);
    const idle: Terminal[] = [];
    for (let i = 0; i < IDLE; i++) {
      const t = await serverTerminal(wsUrl, token);
      await waitForText(t, /\$ $/);
      idle.push(t);
    }
    await sleep(1000);
    const after = rssBytes(server.pid!);
    const shellPids = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    const shellRss = shellPids.map(rssBytes).filter((n) => Number.isFinite(n));
    const shellAvg = shellRss.reduce((a, b) => a + b, 0) / Math.max(1, shellRss.length);
    for (const t of idle) t.close();

    const ms = (n: number) => `${n.toFixed(2)} ms`;
    const mbs = (n: number) => `${(n / 1e6).toFixed(1)} MB/s`;
    console.log('| measurement | through butler-server | straight on a PTY | target |');
    console.log('|---|---|---|---|');
    console.log(`| keystroke echo p50 (${KEYS} keys) | ${ms(serverEcho.p50)} | ${ms(directEcho.p50)} | |`);
    console.log(`| keystroke echo p99 | ${ms(serverEcho.p99)} | ${ms(directEcho.p99)} | ≤ 5 ms |`);
    console.log(
      `| \`cat\` of a ${MB} MB file | ${mbs(serverRate)} (${((serverRate / directRate) * 100).toFixed(0)} %) | ${mbs(directRate)} | ≥ 50 % of direct |`,
    );
    console.log(
      `| memory per idle session (${IDLE} sessions) | server +${((after - before) / IDLE / 1024).toFixed(0)} KiB RSS; shell ${(shellAvg / 1024).toFixed(0)} KiB RSS | | |`,
    );
  } finally {
    if (butler) await stopProcess(butler.proc);
    await sim.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
