// Helpers for tests that run real processes: run a command to its end, check a pid, poll until a condition holds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import pty, { type IPty } from 'node-pty';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` to its end (SIGKILL after timeoutMs); `input` (if any) is written to stdin, then it is closed. */
export function runCommand(
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; timeoutMs: number; input?: string },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface TerminalRun {
  term: IPty;
  /** Everything the terminal has shown so far. */
  screen(): string;
  exited: Promise<number>;
}

/** Runs `command` in a real pseudo-terminal (xterm) of the given size. */
export function runInTerminal(
  command: string,
  args: string[],
  opts: { cols: number; rows: number; cwd: string; env: NodeJS.ProcessEnv },
): TerminalRun {
  const term = pty.spawn(command, args, { name: 'xterm', ...opts });
  let screen = '';
  term.onData((d) => (screen += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return { term, screen: () => screen, exited };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}
