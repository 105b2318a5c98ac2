// `npm run demo` as a real process, the way a newcomer runs it: it prints the URL and credentials within 10 s, a
// plain HTTP client can log in and list the seeded clusters, and Ctrl-C (SIGINT to the process group) stops
// everything: no process of its tree survives (a terminal's shell included) and no temporary file is left.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const START_LIMIT_MS = 10_000;
const EXIT_LIMIT_MS = 15_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** pid → [ppid, starttime] for every process, read from /proc. */
function processTable(): Map<number, { ppid: number; start: string; comm: string }> {
  const table = new Map<number, { ppid: number; start: string; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may contain spaces.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      table.set(Number(entry), { ppid: Number(fields[1]), start: fields[19]!, comm });
    } catch {
      // the process ended while we looked
    }
  }
  return table;
}

/** Every process whose parent chain includes `root` (root included), with its start time to rule out pid reuse. */
function descendants(root: number): Map<number, { start: string; comm: string }> {
  const table = processTable();
  const found = new Map<number, { start: string; comm: string }>();
  for (const [pid, info] of table) {
    let p: number | undefined = pid;
    for (let depth = 0; depth < 64 && p !== undefined && p > 1; depth++) {
      if (p === root) {
        found.set(pid, { start: info.start, comm: info.comm });
        break;
      }
      p = table.get(p)?.ppid;
    }
  }
  return found;
}

function stillRunning(procs: Map<number, { start: string; comm: string }>): string[] {
  const now = processTable();
  return [...procs]
    .filter(([pid, info]) => now.get(pid)?.start === info.start)
    .map(([pid, info]) => `${pid} ${info.comm}`);
}

async function waitFor<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('npm run demo: credentials within 10 s, login and cluster list over HTTP, SIGINT leaves nothing behind', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'butler-demo-test-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const port = await freePort();
  const kubectlPort = await freePort();
  const started = Date.now();
  // Its own process group, so SIGINT reaches the whole group as Ctrl-C in a terminal does.
  const args = ['--addr', `127.0.0.1:${port}`, '--kubectl-addr', `127.0.0.1:${kubectlPort}`];
  const child: ChildProcess = spawn('npm', ['run', 'demo', '--', ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TMPDIR: tmp },
  });
  t.after(() => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  const creds = await waitFor('the URL and credentials', START_LIMIT_MS, () => {
    if (child.exitCode !== null) throw new Error(`demo exited early\n${out}\n${err}`);
    const url = /URL:\s+(\S+)/.exec(out)?.[1];
    const username = /Username:\s+(\S+)/.exec(out)?.[1];
    const password = /Password:\s+(\S+)/.exec(out)?.[1];
    return url && username && password ? { url, username, password } : undefined;
  }).catch((e: unknown) => {
    throw new Error(`${String(e)}\nstdout:\n${out}\nstderr:\n${err.slice(-2000)}`);
  });
  t.diagnostic(`credentials printed after ${Date.now() - started} ms`);
  assert.equal(creds.url, `http://127.0.0.1:${port}`);
  assert.equal(out.match(/Password:/g)?.length, 1, 'the password is printed once');
  assert.match(
    out,
    new RegExp(`kubectl:\\s+https://127\\.0\\.0\\.1:${kubectlPort} `),
    'the kubectl address is printed',
  );

  const login = await fetch(`${creds.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: creds.username, password: creds.password }),
  });
  assert.equal(login.status, 200);
  const { token } = (await login.json()) as { token: string };
  const list = await fetch(`${creds.url}/api/clusters`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(list.status, 200);
  const { clusters } = (await list.json()) as { clusters: { metadata: { name: string } }[] };
  assert.deepEqual(clusters.map((c) => c.metadata.name).sort(), ['legacy', 'production', 'staging']);

  // A management terminal running a long command: its shell and the command must end with the demo.
  const ws = new WebSocket(`${creds.url.replace('http', 'ws')}/ws/terminal/management`, {
    headers: { authorization: `Bearer ${token}` },
  });
  let termOut = '';
  ws.on('message', (d) => (termOut += d.toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'data', data: 'sleep 307\r' }));
  await waitFor('the terminal command to run', 5000, () =>
    [...descendants(child.pid!).values()].some((p) => p.comm === 'sleep') ? true : undefined,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\nterminal output: ${JSON.stringify(termOut)}`);
  });

  const tree = descendants(child.pid!);
  assert.ok(tree.size >= 3, `expected npm, node and the shell in the tree, got ${tree.size}`);
  process.kill(-child.pid!, 'SIGINT');
  const result = await Promise.race([
    exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('demo did not exit')), EXIT_LIMIT_MS)),
  ]);
  ws.terminate();
  t.diagnostic(`exit: ${JSON.stringify(result)}`);
  // Give the kernel a moment to reap what ended with the group.
  const left = await waitFor('every demo process to end', 5000, () => {
    const running = stillRunning(tree);
    return running.length === 0 ? running : undefined;
  }).catch(() => stillRunning(tree));
  assert.deepEqual(left, [], 'processes left behind');
  // tsx-<uid> is the tsx loader's compile cache, kept between runs by design; everything else must be gone.
  assert.deepEqual(
    readdirSync(tmp).filter((name) => !/^tsx-\d+$/.test(name)),
    [],
    'temporary files left behind',
  );
});

test('butler-server --demo runs the same demo and stops cleanly on SIGTERM', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'butler-demo-flag-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src', 'main.ts'),
      '--demo',
      '--addr',
      `127.0.0.1:${port}`,
      '--kubectl-addr',
      `127.0.0.1:${await freePort()}`,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TMPDIR: tmp },
    },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const password = await waitFor('the credentials', START_LIMIT_MS * 2, () => {
    if (child.exitCode !== null) throw new Error(`exited early:\n${out}`);
    return /Password:\s+(\S+)/.exec(out)?.[1];
  });
  const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  assert.equal(login.status, 200);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.deepEqual(
    readdirSync(tmp).filter((name) => !/^tsx-\d+$/.test(name)),
    [],
    'temporary files left behind',
  );
});
