// Runs an exec command as a real local process: on a PTY (node-pty) for tty sessions, else with pipes.
// Every process leads its own process group so that the whole group can be signalled.
import { spawn as spawnChild } from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { constants as osConstants } from 'node:os';
import pty from 'node-pty';

/** The PATH a typical container image sets. */
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type ExitResult = { exitCode: number } | { startError: string };

export interface ExecProcess {
  readonly pid: number;
  /** False when the process is not keeping up; `onDrain` then runs once it has caught up. */
  writeInput(data: Buffer, onDrain: () => void): boolean;
  endInput(): void;
  resize(cols: number, rows: number): void;
  pauseOutput(): void;
  resumeOutput(): void;
  /** Signals the whole process group; a group already gone is not an error. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Resolves once the process has exited and its output has been delivered. */
  readonly exited: Promise<ExitResult>;
}

export interface ExecProcessOptions {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Channel 1 (stdout, or the PTY's merged output) or 2 (stderr). */
  onOutput(channel: 1 | 2, data: Buffer): void;
}

/** Only these variables: the simulator's own environment may hold secrets. */
export function minimalEnv(o: { home: string; hostname: string; tty: boolean }): Record<string, string> {
  const env: Record<string, string> = {
    PATH: CONTAINER_PATH,
    HOME: o.home,
    HOSTNAME: o.hostname,
    LANG: 'C.UTF-8',
  };
  if (o.tty) env.TERM = 'xterm';
  return env;
}

/** `<root>/<ns>/<pod>/<container>`, created with mode 0700. */
export function ensureScratchDir(root: string, segments: string[]): string {
  for (const s of segments) {
    if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\0')) {
      throw new Error(`invalid path segment ${JSON.stringify(s)}`);
    }
  }
  const base = resolve(root);
  const dir = join(base, ...segments);
  if (!dir.startsWith(base + sep)) throw new Error('scratch directory escapes its root');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Finds the executable like runc's exec.LookPath does; on failure returns the error text a containerd
 * node reports for `kubectl exec` (wrapped like the CRI plugin wraps it).
 */
export function resolveExecutable(name: string, cwd: string, path: string): { file: string } | { error: string } {
  const runtimeError = (detail: string) =>
    `failed to exec in container: failed to start exec ${JSON.stringify(randomBytes(32).toString('hex'))}: ` +
    `OCI runtime exec failed: exec failed: unable to start container process: exec: ${JSON.stringify(name)}: ${detail}: unknown`;
  if (name.includes('/')) {
    const file = isAbsolute(name) ? name : resolve(cwd, name);
    if (!statSync(file, { throwIfNoEntry: false })) {
      return { error: runtimeError(`stat ${name}: no such file or directory`) };
    }
    return isExecutableFile(file) ? { file } : { error: runtimeError('permission denied') };
  }
  if (name !== '') {
    for (const dir of path.split(':')) {
      const file = join(dir === '' ? '.' : dir, name);
      if (isExecutableFile(isAbsolute(file) ? file : resolve(cwd, file))) return { file };
    }
  }
  return { error: runtimeError('executable file not found in $PATH') };
}

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Exit status the way a container runtime reports it: the code, or 128 + signal number. */
function exitStatus(code: number | null, signal: NodeJS.Signals | number | null | undefined): number {
  if (typeof signal === 'number' && signal > 0) return 128 + signal;
  if (typeof signal === 'string') return 128 + (osConstants.signals[signal] ?? 0);
  return code ?? 0;
}

export function startExecProcess(o: ExecProcessOptions): ExecProcess {
  try {
    const found = resolveExecutable(o.command[0] ?? '', o.cwd, o.env.PATH ?? CONTAINER_PATH);
    if ('error' in found) return failedProcess(found.error);
    return o.tty ? startPty(found.file, o) : startPiped(found.file, o);
  } catch (err) {
    // e.g. arguments with NUL bytes: refused before anything runs.
    return failedProcess(`failed to exec in container: ${(err as Error).message}`);
  }
}

function failedProcess(error: string): ExecProcess {
  const noop = () => {};
  return {
    pid: 0,
    writeInput: () => true,
    endInput: noop,
    resize: noop,
    pauseOutput: noop,
    resumeOutput: noop,
    signalGroup: noop,
    exited: Promise.resolve({ startError: error }),
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function startPty(file: string, o: ExecProcessOptions): ExecProcess {
  const term = pty.spawn(file, o.command.slice(1), {
    name: o.env.TERM ?? 'xterm',
    cols: 80,
    rows: 24,
    cwd: o.cwd,
    env: o.env,
    encoding: null,
  });
  keepOutputUntilRead(term);
  // With encoding null node-pty hands out Buffers, although its typings say string.
  term.onData((data: string | Buffer) => {
    if (o.stdout) o.onOutput(1, Buffer.isBuffer(data) ? data : Buffer.from(data));
  });
  const exited = new Promise<ExitResult>((done) => {
    term.onExit(({ exitCode, signal }) => done({ exitCode: exitStatus(exitCode, signal) }));
  });
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  return {
    pid: term.pid,
    writeInput: (data) => {
      if (!exitedYet) term.write(data as unknown as string);
      return true;
    },
    // A TTY has no end of input: closing stdin leaves the terminal as it is, like containerd does.
    endInput: () => {},
    resize: (cols, rows) => {
      if (!exitedYet && cols > 0 && rows > 0) term.resize(cols, rows);
    },
    pauseOutput: () => term.pause(),
    resumeOutput: () => term.resume(),
    signalGroup: (signal) => signalGroup(term.pid, signal),
    exited,
  };
}

/**
 * node-pty reports an exit only once the terminal's read side closes, but gives up after 200 ms and destroys the socket,
 * dropping whatever output it has not read yet. When the event loop was busy for that long (a loaded CI machine), the timer
 * runs before the pending read and the last lines of a command vanish. Deferring that destroy by two loop turns lets the
 * poll phase read what the terminal still holds first; a socket that closes on its own is unaffected.
 */
function keepOutputUntilRead(term: pty.IPty): void {
  const socket = (term as unknown as { _socket?: { destroy: (...args: unknown[]) => unknown } })._socket;
  if (!socket || typeof socket.destroy !== 'function') return;
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (...args: unknown[]) => {
    setImmediate(() => setImmediate(() => destroy(...args)));
    return socket;
  };
}

function startPiped(file: string, o: ExecProcessOptions): ExecProcess {
  const child = spawnChild(file, o.command.slice(1), {
    argv0: o.command[0],
    cwd: o.cwd,
    env: o.env,
    detached: true,
    stdio: [o.stdin ? 'pipe' : 'ignore', o.stdout ? 'pipe' : 'ignore', o.stderr ? 'pipe' : 'ignore'],
  });
  child.stdout?.on('data', (d: Buffer) => o.onOutput(1, d));
  child.stderr?.on('data', (d: Buffer) => o.onOutput(2, d));
  child.stdin?.on('error', () => {}); // EPIPE once the process stops reading
  const exited = new Promise<ExitResult>((done) => {
    child.once('error', (err) => {
      if (child.pid === undefined) done({ startError: err.message });
    });
    child.once('close', (code, signal) => done({ exitCode: exitStatus(code, signal) }));
  });
  return {
    pid: child.pid ?? 0,
    writeInput: (data, onDrain) => {
      const stdin = child.stdin;
      if (!stdin?.writable || stdin.write(data)) return true;
      const drained = () => {
        stdin.off('drain', drained);
        stdin.off('close', drained);
        onDrain();
      };
      stdin.on('drain', drained);
      stdin.on('close', drained);
      return false;
    },
    endInput: () => child.stdin?.end(),
    resize: () => {},
    pauseOutput: () => {
      child.stdout?.pause();
      child.stderr?.pause();
    },
    resumeOutput: () => {
      child.stdout?.resume();
      child.stderr?.resume();
    },
    signalGroup: (signal) => {
      if (child.pid !== undefined) signalGroup(child.pid, signal);
    },
    exited,
  };
}
