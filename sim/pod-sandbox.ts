// A simulated container: the container's command runs as local processes in their own PID, mount, UTS and IPC
// namespaces (`unshare` from util-linux), chrooted into a per-pod root built from this machine's binaries (/usr, /etc,
// /opt read-only: "the image" is the local machine) plus the pod's volumes at the paths the spec names; then
// `setpriv` drops to the securityContext's user and capabilities. `ps` and /proc inside show only the pod's processes;
// killing the namespace's init kills every process in it, setsid children included.
//
// Without namespaces (not root, no unshare) the command runs directly, marked with an environment variable, paths
// of the volumes are rewritten in the environment, and the whole marked process tree is killed at the end.
import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, posix } from 'node:path';
import pty from 'node-pty';

export interface SandboxMount {
  hostPath: string;
  mountPath: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  /** The pod's private directory on this machine (the root and the volumes live below it). */
  podDir: string;
  /** A marker unique to the pod (its uid), for the fallback's process scan. */
  marker: string;
  hostname: string;
  command: string[];
  env: Record<string, string>;
  workingDir: string;
  mounts: SandboxMount[];
  user?: { uid: number; gid: number; groups?: number[] };
  noNewPrivs: boolean;
  dropAllCapabilities: boolean;
  readOnlyRootFilesystem: boolean;
  tty: boolean;
  stdin: boolean;
}

export interface SandboxProcess {
  /** The process whose namespaces an exec enters (the namespace's init), or the command itself in the fallback. */
  readonly pid: number;
  readonly isolated: boolean;
  onOutput(listener: (data: Buffer) => void): () => void;
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** The container's exit code (128 + signal when killed). */
  readonly exited: Promise<number>;
  /** Kills every process of the container; resolves when they are gone. */
  kill(): Promise<void>;
}

export const MARKER_ENV = 'BUTLER_SIM_POD';
const HOST_DIRS = ['usr', 'etc', 'opt'];
const HOST_LINK_OR_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
const DEV_FILES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
const RESERVED = ['/', '/proc', '/dev', ...[...HOST_DIRS, ...HOST_LINK_OR_DIRS].map((d) => `/${d}`)];
const INIT_WAIT_MS = 10_000;
const KILL_WAIT_MS = 5000;

let namespacesChecked: boolean | undefined;

/** Whether pods can get their own namespaces here (root with a working `unshare`); checked once. */
export function namespacesAvailable(): boolean {
  if (namespacesChecked === undefined) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    namespacesChecked =
      isRoot &&
      spawnSync('unshare', ['--mount', '--pid', '--fork', '--uts', '--ipc', '--kill-child', 'true'], {
        stdio: 'ignore',
        timeout: 10_000,
      }).status === 0 &&
      spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
  }
  return namespacesChecked;
}

/** A mount path the sandbox can serve: absolute, normalised, outside the directories taken from this machine. */
export function mountPathProblem(path: string): string | undefined {
  if (!path.startsWith('/') || posix.normalize(path) !== path || path.endsWith('/'))
    return `mountPath "${path}" must be an absolute, normalised path`;
  for (const r of RESERVED)
    if (path === r || (r !== '/' && path.startsWith(`${r}/`)))
      return `mountPath "${path}" lies in ${r}, which the simulator takes from the local machine`;
  return undefined;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** setpriv + env: drop privileges, then a fresh environment and working directory, then the command. */
export function containerCommand(
  spec: Pick<SandboxSpec, 'user' | 'noNewPrivs' | 'dropAllCapabilities'>,
  o: {
    env: Record<string, string>;
    workingDir: string;
    command: string[];
  },
): string[] {
  const priv: string[] = [];
  if (spec.user) {
    const groups = spec.user.groups?.length ? `--groups=${spec.user.groups.join(',')}` : '--clear-groups';
    priv.push(`--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, groups);
  }
  if (spec.noNewPrivs) priv.push('--no-new-privs');
  if (spec.dropAllCapabilities) priv.push('--bounding-set=-all', '--inh-caps=-all');
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${v}`);
  return [
    ...(priv.length ? ['/usr/bin/setpriv', ...priv, '--'] : []),
    '/usr/bin/env',
    '-i',
    '-C',
    o.workingDir,
    ...env,
    ...o.command,
  ];
}

function buildRoot(root: string, mounts: SandboxMount[]): string[] {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const script = ['set -e', `R=${quote(root)}`, 'mount --bind "$R" "$R"'];
  const bindRo = (from: string, to: string) =>
    script.push(`mount --bind ${quote(from)} "$R"${quote(to)}`, `mount -o remount,bind,ro "$R"${quote(to)}`);
  for (const d of HOST_LINK_OR_DIRS) {
    const host = `/${d}`;
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isSymbolicLink()) {
      if (!existsSync(join(root, d))) symlinkSync(readlinkSync(host), join(root, d));
    } else if (st.isDirectory()) {
      mkdirSync(join(root, d), { recursive: true });
      bindRo(host, host);
    }
  }
  for (const d of HOST_DIRS) {
    if (!existsSync(`/${d}`)) continue;
    mkdirSync(join(root, d), { recursive: true });
    bindRo(`/${d}`, `/${d}`);
  }
  for (const d of ['proc', 'tmp', 'dev/pts']) mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  script.push('mount -t proc proc "$R"/proc');
  for (const f of DEV_FILES) {
    if (!existsSync(`/dev/${f}`)) continue;
    writeFileSync(join(root, 'dev', f), '');
    script.push(`mount --bind /dev/${f} "$R"/dev/${f}`);
  }
  script.push('mount --bind /dev/pts "$R"/dev/pts');
  for (const [link, target] of [
    ['ptmx', 'pts/ptmx'],
    ['fd', '/proc/self/fd'],
    ['stdin', '/proc/self/fd/0'],
    ['stdout', '/proc/self/fd/1'],
    ['stderr', '/proc/self/fd/2'],
  ] as const)
    if (!lstatSync(join(root, 'dev', link), { throwIfNoEntry: false })) symlinkSync(target, join(root, 'dev', link));
  if (!mounts.some((m) => m.mountPath === '/tmp')) script.push('mount -t tmpfs -o mode=1777,size=64m tmpfs "$R"/tmp');
  for (const m of mounts) {
    mkdirSync(join(root, m.mountPath), { recursive: true, mode: 0o755 });
    script.push(`mount --bind ${quote(m.hostPath)} "$R"${quote(m.mountPath)}`);
    if (m.readOnly) script.push(`mount -o remount,bind,ro "$R"${quote(m.mountPath)}`);
  }
  return script;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Processes whose environment carries `MARKER_ENV=marker` (the fallback's way to find setsid children). */
export function markedProcesses(marker: string): number[] {
  const needle = Buffer.from(`\0${MARKER_ENV}=${marker}\0`);
  const first = Buffer.from(`${MARKER_ENV}=${marker}\0`);
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`);
      if (env.includes(needle) || env.subarray(0, first.length).equals(first)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

interface Launched {
  pid: number;
  onData(fn: (d: Buffer) => void): void;
  write(d: Buffer): void;
  resize(c: number, r: number): void;
  exited: Promise<number>;
}

function launch(file: string, args: string[], spec: SandboxSpec, env: Record<string, string>, cwd: string): Launched {
  if (spec.tty) {
    const term = pty.spawn(file, args, { name: env.TERM ?? 'xterm', cols: 80, rows: 24, cwd, env, encoding: null });
    let done = false;
    const exited = new Promise<number>((resolve) =>
      term.onExit(({ exitCode, signal }) => {
        done = true;
        resolve(signal ? 128 + signal : exitCode);
      }),
    );
    return {
      pid: term.pid,
      onData: (fn) => term.onData((d: string | Buffer) => fn(Buffer.isBuffer(d) ? d : Buffer.from(d))),
      write: (d) => {
        if (!done) term.write(d as unknown as string);
      },
      resize: (c, r) => {
        if (!done && c > 0 && r > 0) term.resize(c, r);
      },
      exited,
    };
  }
  const child: ChildProcess = spawnChild(file, args, {
    cwd,
    env,
    detached: true,
    stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => {});
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(127));
    child.once('close', (code, signal) => resolve(signal ? 128 + 9 : (code ?? 0)));
  });
  return {
    pid: child.pid ?? 0,
    onData: (fn) => {
      child.stdout?.on('data', fn);
      child.stderr?.on('data', fn);
    },
    write: (d) => {
      if (child.stdin?.writable) child.stdin.write(d);
    },
    resize: () => {},
    exited,
  };
}

/** Starts the container; rejects when the sandbox cannot be set up. */
export async function startSandbox(spec: SandboxSpec): Promise<SandboxProcess> {
  const isolated = namespacesAvailable();
  const listeners = new Set<(d: Buffer) => void>();
  let launched: Launched;
  let initPid: number;
  if (isolated) {
    const script = buildRoot(join(spec.podDir, 'root'), spec.mounts);
    script.push(`hostname ${quote(spec.hostname)}`);
    if (spec.readOnlyRootFilesystem) script.push('mount -o remount,bind,ro "$R"');
    // The container's init leads its own session inside the namespace, with the PTY as its controlling terminal
    // (job control in an interactive shell needs a session leader it can see).
    const session = spec.tty ? 'setsid --ctty ' : 'setsid ';
    script.push(`exec ${session}chroot "$R" ${containerCommand(spec, spec).map(quote).join(' ')}`);
    const args = ['--mount', '--propagation', 'private', '--pid', '--fork', '--uts', '--ipc', '--kill-child'];
    launched = launch(
      'unshare',
      [...args, '/bin/sh', '-c', script.join('\n')],
      spec,
      { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TERM: spec.env.TERM ?? 'xterm' },
      '/',
    );
    const deadline = Date.now() + INIT_WAIT_MS;
    let found: number | undefined;
    while (!(found = childrenOf(launched.pid)[0]) && Date.now() < deadline && alive(launched.pid)) await sleep(5);
    initPid = found ?? launched.pid;
  } else {
    const rewrite = (v: string) => {
      for (const m of spec.mounts)
        if (v === m.mountPath || v.startsWith(`${m.mountPath}/`)) return m.hostPath + v.slice(m.mountPath.length);
      return v;
    };
    const env = Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, rewrite(v)]));
    env[MARKER_ENV] = spec.marker;
    const cwd = rewrite(spec.workingDir);
    const cwdOk = existsSync(cwd) ? cwd : spec.podDir;
    const [file, ...args] = spec.command;
    launched = launch(file ?? 'sh', args, spec, env, cwdOk);
    initPid = launched.pid;
  }
  launched.onData((d) => {
    for (const l of listeners) l(d);
  });
  let exitedYet = false;
  void launched.exited.then(() => (exitedYet = true));
  const gone = () => exitedYet && !alive(initPid) && (isolated || markedProcesses(spec.marker).length === 0);
  return {
    pid: initPid,
    isolated,
    onOutput: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    write: (d) => launched.write(d),
    resize: (c, r) => launched.resize(c, r),
    exited: launched.exited,
    kill: async () => {
      const deadline = Date.now() + KILL_WAIT_MS;
      do {
        // The namespace's init first: the kernel then kills everything else in the namespace.
        killAll([initPid, launched.pid]);
        if (!isolated) {
          try {
            process.kill(-launched.pid, 'SIGKILL');
          } catch {
            // group gone
          }
          killAll(markedProcesses(spec.marker));
        }
        if (gone()) return;
        await sleep(20);
      } while (Date.now() < deadline);
    },
  };
}
