// butler-server in its own process (src/main.ts) against a simulator's kubeconfig, for benchmarks that must not
// share an event loop with what they measure; plus the port and process-stopping helpers they all need.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './stats.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_PASSWORD = 'bench-password-123';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface ButlerProcess {
  proc: ChildProcess;
  url: string;
  /** The admin's bearer token and the same session as a `butler_session=…` cookie. */
  token: string;
  cookie: string;
}

export interface StartButlerOptions {
  /** Node flags before `--import tsx` (e.g. `--expose-gc`, `--cpu-prof`). */
  nodeArgs?: string[];
  /** Extra BUTLER_* variables. */
  env?: Record<string, string>;
  /** Where the server's stdout (its logs) goes: the benchmark's stderr by default, so stdout keeps only the results. */
  stdout?: 'stderr' | 'ignore';
  readyTimeoutMs?: number;
  /** Run the compiled server (`dist/src/main.js`, see buildServer) with plain node, as in production, not via tsx. */
  built?: boolean;
}

/** Compiles the server into dist/ (`npm run build`), for startButler({ built: true }). */
export function buildServer(): void {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: ['ignore', process.stderr, 'inherit'],
    },
  );
  if (run.status !== 0) throw new Error(`npm run build failed (exit ${run.status ?? run.signal})`);
}

/** Starts the server, waits for /readyz and logs in as admin. */
export async function startButler(kubeconfigPath: string, o: StartButlerOptions = {}): Promise<ButlerProcess> {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      ...(o.nodeArgs ?? []),
      ...(o.built ? [join(ROOT, 'dist/src/main.js')] : ['--import', 'tsx', join(ROOT, 'src/main.ts')]),
      '--kubeconfig',
      kubeconfigPath,
      '--addr',
      `127.0.0.1:${port}`,
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        BUTLER_JWT_SECRET: randomBytes(36).toString('base64'),
        BUTLER_ADMIN_PASSWORD: BENCH_PASSWORD,
        BUTLER_LOG_LEVEL: 'warn',
        ...o.env,
      },
      stdio: ['ignore', o.stdout === 'ignore' ? 'ignore' : process.stderr, 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000);
  for (;;) {
    const ok = await fetch(`${url}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline || proc.exitCode !== null) {
      await stopProcess(proc);
      throw new Error('butler-server did not become ready');
    }
    await sleep(200);
  }
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: BENCH_PASSWORD }),
  });
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('butler_session='))
    ?.split(';')[0];
  const { token } = (await res.json().catch(() => ({}))) as { token?: string };
  if (res.status !== 200 || !token || !cookie) {
    await stopProcess(proc);
    throw new Error(`login failed: HTTP ${res.status}`);
  }
  return { proc, url, token, cookie };
}

/** SIGTERM (or an IPC `message` for forked children), SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopProcess(proc: ChildProcess, o: { message?: object; graceMs?: number } = {}): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  if (o.message) proc.send(o.message);
  else proc.kill('SIGTERM');
  await Promise.race([exited, sleep(o.graceMs ?? 15_000)]);
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGKILL');
    await exited;
  }
}
