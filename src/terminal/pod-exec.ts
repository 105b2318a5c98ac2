// An interactive exec into a pod through the Kubernetes exec API (docs/api.md §6.3): v5.channel.k8s.io, else v4;
// first byte of each message = channel (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize; v5: 255 closes a channel).
import type { KubeConfig } from '@kubernetes/client-node';
import type WebSocket from 'ws';
import type { BackendExit, TerminalBackend } from './backend.js';
import { INITIAL_COLS, INITIAL_ROWS } from './backend.js';
import { openKubeWebSocket } from './kube-websocket.js';
import { paths } from '../kube/butler.js';

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;
const CLOSE_CHANNEL = 255;
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const CLOSE_WAIT_MS = 5000;

/** sh, exec'ing bash when the image has it. */
export const EXEC_COMMAND = [
  'sh',
  '-c',
  'TERM=xterm-256color; export TERM; if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi',
];

export interface PodExecTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** Attach to the container's own TTY (shell pods: the shell is the container's main process). */
export function attachPath(t: PodExecTarget): string {
  const q = new URLSearchParams({ container: t.container, stdin: 'true', stdout: 'true', tty: 'true' });
  return `${paths.pod(t.namespace, t.pod)}/attach?${q}`;
}

export function execPath(t: PodExecTarget): string {
  const q = new URLSearchParams({ container: t.container, stdin: 'true', stdout: 'true', tty: 'true' });
  for (const c of EXEC_COMMAND) q.append('command', c);
  return `${paths.pod(t.namespace, t.pod)}/exec?${q}`;
}

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** The exit of an exec Status: Success → 0, NonZeroExitCode → its code, any other Failure → a red line. */
export function exitFromStatus(payload: Buffer): BackendExit {
  let s: ExecStatus;
  try {
    s = JSON.parse(payload.toString('utf8')) as ExecStatus;
  } catch {
    return { exitCode: null, failure: payload.toString('utf8').slice(0, 500) || 'exec failed' };
  }
  if (s.status === 'Success') return { exitCode: 0 };
  if (s.reason === 'NonZeroExitCode') {
    const code = Number(s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message);
    return { exitCode: Number.isInteger(code) ? code : null };
  }
  return { exitCode: null, failure: s.message || 'exec failed' };
}

export class PodExec implements TerminalBackend {
  readonly pid = undefined;
  private outputListeners: ((chunk: Buffer) => void)[] = [];
  private exitListeners: ((e: BackendExit) => void)[] = [];
  private exit: BackendExit | undefined;
  private status: BackendExit | undefined;
  private readonly closed: Promise<void>;
  private terminating: Promise<void> | undefined;

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('error', () => {});
    ws.once('close', () => this.finish(this.status ?? { exitCode: null }));
    this.resize(INITIAL_COLS, INITIAL_ROWS);
  }

  /** `clientName` ('management', 'tenant <ns>/<name>') names the cluster in errors. */
  static async start(kc: KubeConfig, target: PodExecTarget, clientName: string): Promise<PodExec> {
    return new PodExec(await openKubeWebSocket(kc, execPath(target), EXEC_PROTOCOLS, clientName));
  }

  /** The same stream protocol on the attach subresource. */
  static async attach(kc: KubeConfig, target: PodExecTarget, clientName: string): Promise<PodExec> {
    return new PodExec(await openKubeWebSocket(kc, attachPath(target), EXEC_PROTOCOLS, clientName));
  }

  get protocol(): string {
    return this.ws.protocol;
  }

  onOutput(listener: (chunk: Buffer) => void): void {
    this.outputListeners.push(listener);
  }

  onExit(listener: (e: BackendExit) => void): void {
    if (this.exit) listener(this.exit);
    else this.exitListeners.push(listener);
  }

  write(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (bytes.length > 0) this.send(STDIN, bytes);
  }

  resize(cols: number, rows: number): void {
    this.send(RESIZE, Buffer.from(JSON.stringify({ Width: cols, Height: rows })));
  }

  pause(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  terminate(): Promise<void> {
    this.terminating ??= this.end();
    return this.terminating;
  }

  private async end(): Promise<void> {
    this.ws.resume();
    if (this.ws.readyState === this.ws.OPEN) {
      if (this.ws.protocol === EXEC_PROTOCOLS[0]) this.send(CLOSE_CHANNEL, Buffer.of(STDIN));
      this.ws.close(1000);
    }
    const timer = setTimeout(() => this.ws.terminate(), CLOSE_WAIT_MS);
    await this.closed;
    clearTimeout(timer);
  }

  private send(channel: number, data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN || this.terminating) return;
    this.ws.send(Buffer.concat([Buffer.of(channel), data]));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary || data.length === 0) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDOUT || channel === STDERR) {
      if (payload.length > 0) for (const l of this.outputListeners) l(payload);
    } else if (channel === STATUS) {
      this.status = exitFromStatus(payload);
    }
  }

  private finish(exit: BackendExit): void {
    if (this.exit) return;
    this.exit = exit;
    for (const l of this.exitListeners.splice(0)) l(exit);
  }
}
