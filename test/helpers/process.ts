// Runs the real butler-server command (`node --import tsx src/main.ts`) as a child process.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(REPO_ROOT, 'src', 'main.ts');
const DEFAULT_START_TIMEOUT_MS = 15_000;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  args?: string[];
  /** The child's whole environment besides PATH and HOME (nothing else is inherited). */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

function spawnMain(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Starts the server and waits for its "listening" log line. */
export async function startServerProcess(opts: SpawnOptions = {}): Promise<ServerProcess> {
  const child = spawnMain(opts.args ?? [], opts.env ?? {});
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = exitOf(child);

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`server did not start within ${opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms\n${out}\n${err}`),
      );
    }, opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    const onData = () => {
      // JSON lines by default, readable ones with --dev or BUTLER_LOG_FORMAT=pretty.
      const match = /(?:"msg":"|INFO: )Server listening at (https?:\/\/[^"\s]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening (code ${code}, signal ${signal})\n${out}\n${err}`));
    });
  });

  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(graceMs = 12_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
}

/** Runs the command to completion (for --version and start-up refusals). */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawnMain(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await exitOf(child);
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}
