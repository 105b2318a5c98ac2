// A local shell on a real PTY (docs/api.md §6.3): private temp dir (0700) as HOME and cwd, the kubeconfig in it (0600),
// an environment built from scratch with a per-session marker; at the end SIGHUP to every process of the terminal
// (session, descendants, marked processes: setsid children too), SIGKILL after the grace, dir removed.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import type { BackendExit, TerminalBackend } from './backend.js';
import { INITIAL_COLS, INITIAL_ROWS } from './backend.js';
import { randomBytes } from 'node:crypto';
import { isAlive, processesOf, signalSession } from './process-tree.js';
import { buildShellEnv, chooseShell } from './shell-env.js';

export const TEMP_DIR_PREFIX = 'butler-terminal-';
const KILL_AFTER_MS = 5000;
const POLL_MS = 50;
/** After SIGKILL the kernel needs a moment; bounded so a stuck D-state process cannot hang shutdown. */
const REAP_WAIT_MS = 2000;

export interface LocalShellOptions {
  /** The kubeconfig YAML, written to $HOME/kubeconfig with mode 0600. */
  kubeconfig: string;
  /** `management` or the tenant cluster's name (PS1). */
  label: string;
  killAfterMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

export class LocalShell implements TerminalBackend {
  readonly pid: number;
  private readonly term: pty.IPty;
  private readonly home: string;
  private readonly killAfterMs: number;
  private readonly exited: Promise<BackendExit>;
  private exitListeners: ((e: BackendExit) => void)[] = [];
  private hasExited = false;
  private terminating: Promise<void> | undefined;

  private constructor(
    term: pty.IPty,
    home: string,
    killAfterMs: number,
    private readonly marker: string,
  ) {
    this.term = term;
    this.pid = term.pid;
    this.home = home;
    this.killAfterMs = killAfterMs;
    this.exited = new Promise((resolve) => {
      term.onExit(({ exitCode, signal }) => {
        this.hasExited = true;
        const exit: BackendExit = { exitCode: signal ? null : exitCode };
        resolve(exit);
        for (const l of this.exitListeners.splice(0)) l(exit);
      });
    });
  }

  static start(o: LocalShellOptions): LocalShell {
    const home = mkdtempSync(join(tmpdir(), TEMP_DIR_PREFIX));
    try {
      chmodSync(home, 0o700);
      const kubeconfigPath = join(home, 'kubeconfig');
      writeFileSync(kubeconfigPath, o.kubeconfig, { mode: 0o600 });
      const shell = chooseShell();
      const marker = randomBytes(16).toString('hex');
      const env = buildShellEnv({ shell, home, kubeconfigPath, label: o.label, serverPath: process.env.PATH, marker });
      // --norc: no /etc/bash.bashrc, which would replace PS1.
      const args = shell.endsWith('bash') ? ['--norc'] : [];
      const term = pty.spawn(shell, args, {
        name: 'xterm-256color',
        cols: INITIAL_COLS,
        rows: INITIAL_ROWS,
        cwd: home,
        env,
        encoding: null,
      });
      return new LocalShell(term, home, o.killAfterMs ?? KILL_AFTER_MS, marker);
    } catch (err) {
      rmSync(home, { recursive: true, force: true });
      throw err;
    }
  }

  onOutput(listener: (chunk: Buffer) => void): void {
    // With `encoding: null` node-pty emits Buffers, whatever its typings say.
    this.term.onData((data) => listener(data as unknown as Buffer));
  }

  onExit(listener: (exit: BackendExit) => void): void {
    if (this.hasExited) void this.exited.then(listener);
    else this.exitListeners.push(listener);
  }

  write(data: string | Buffer): void {
    if (this.hasExited || this.terminating) return;
    this.term.write(data as string);
  }

  resize(cols: number, rows: number): void {
    if (this.hasExited || this.terminating) return;
    try {
      this.term.resize(cols, rows);
    } catch {
      // the PTY closed meanwhile
    }
  }

  pause(): void {
    if (!this.hasExited && !this.terminating) this.term.pause();
  }

  resume(): void {
    if (!this.hasExited) this.term.resume();
  }

  terminate(): Promise<void> {
    this.terminating ??= this.end();
    return this.terminating;
  }

  private async end(): Promise<void> {
    // A paused PTY never reaches end-of-file, and node-pty reports the exit only after it.
    this.term.resume();
    const leader = this.pid;
    const marker = this.marker;
    const sessionGone = () => this.hasExited && processesOf(leader, marker).length === 0;
    if (!sessionGone()) {
      signalSession(leader, 'SIGHUP', marker);
      if (!(await waitUntil(sessionGone, this.killAfterMs))) {
        signalSession(leader, 'SIGKILL', marker);
        await waitUntil(() => processesOf(leader, marker).length === 0 && !isAlive(leader), REAP_WAIT_MS);
      }
    }
    // A setsid child that ignored SIGHUP is found by its marker and killed, too.
    if (processesOf(leader, marker).length > 0) {
      signalSession(leader, 'SIGKILL', marker);
      await waitUntil(() => processesOf(leader, marker).length === 0, REAP_WAIT_MS);
    }
    // node-pty reports the exit after its read side closed; do not wait for that longer than the reap bound.
    await Promise.race([this.exited, sleep(REAP_WAIT_MS)]);
    rmSync(this.home, { recursive: true, force: true });
  }
}
