// Pod exec for the simulator: `GET /api/v1/namespaces/{ns}/pods/{pod}/exec?...` upgraded to a WebSocket
// speaking the Kubernetes remote-command channel protocols.
//
// SECURITY: the simulator is a test and demo tool and must never be exposed beyond loopback. Exec runs
// REAL LOCAL PROCESSES as the simulator's own user (in a per-pod scratch directory, with a minimal
// environment): anyone who can reach the simulator with its token gets a shell on this machine.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import {
  CLOSE,
  RESIZE,
  ResizeDecoder,
  STATUS,
  STDERR,
  STDIN,
  STDOUT,
  decodeFrame,
  encodeFrame,
  exitCodeStatus,
  negotiateProtocol,
  offeredProtocols,
  protocolByName,
  startFailureStatus,
  statusPayload,
  successStatus,
  type ExecProtocol,
} from './exec-protocol.js';
import { attachSession } from './attach.js';
import { ensureScratchDir, minimalEnv, startExecProcess, type ExecProcess } from './exec-process.js';
import { Kubelet, type ExecContext } from './kubelet.js';

export interface ExecHandler {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, pod: any, query: URLSearchParams): void;
  /** Attach to a container the kubelet runs. */
  handleAttach(req: IncomingMessage, socket: Duplex, head: Buffer, pod: any, query: URLSearchParams): void;
  /** Kills every exec process and resolves when all of them are gone. */
  closeAll(): Promise<void>;
}

interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Output is paused while more than this is queued on the WebSocket, and resumed below half of it. */
const HIGH_WATER = 1024 * 1024;
const KILL_GRACE_MS = 2000;

export function createExecHandler(opts: { scratchRoot: string; kubelet?: Kubelet }): ExecHandler {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => negotiateProtocol(offered)?.name ?? false,
  });
  const sessions = new Set<ExecSession>();
  const attaches = new Set<{ kill(): Promise<void>; done: Promise<void> }>();

  return {
    handleUpgrade(req, socket, head, pod, query) {
      const parsed = checkedRequest(req, socket, pod, query);
      if (!parsed) return;
      const found = opts.kubelet?.container(parsed.namespace, parsed.pod, parsed.container);
      if (found?.kind === 'not-running') {
        writeHttpStatus(socket, 400, 'BadRequest', found.message);
        return;
      }
      let context: ExecContext;
      if (found?.kind === 'running') {
        context = Kubelet.execContext(found, parsed.command, parsed.tty);
      } else {
        try {
          const dir = ensureScratchDir(opts.scratchRoot, [parsed.namespace, parsed.pod, parsed.container]);
          context = {
            command: parsed.command,
            cwd: dir,
            env: minimalEnv({ home: dir, hostname: parsed.pod, tty: parsed.tty }),
          };
        } catch (err) {
          writeHttpStatus(socket, 500, 'InternalError', `Internal error occurred: ${(err as Error).message}`);
          return;
        }
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const session = new ExecSession(ws, protocolByName(ws.protocol), parsed, context);
        sessions.add(session);
        void session.done.then(() => sessions.delete(session));
      });
    },
    handleAttach(req, socket, head, pod, query) {
      const parsed = checkedRequest(req, socket, pod, query);
      if (!parsed) return;
      const found = opts.kubelet?.container(parsed.namespace, parsed.pod, parsed.container);
      if (found?.kind !== 'running') {
        // Pods without a command have no main process whose stdio could be attached to.
        const message =
          found?.kind === 'not-running'
            ? found.message
            : 'attach needs a pod the simulator runs (containers with a command)';
        writeHttpStatus(socket, 400, 'BadRequest', message);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const done = attachSession(ws, protocolByName(ws.protocol), found.process, {
          stdin: parsed.stdin,
          tty: parsed.tty,
          command: found.spec.command,
        });
        const entry = { kill: async () => ws.terminate(), done };
        attaches.add(entry);
        void done.then(() => attaches.delete(entry));
      });
    },
    async closeAll() {
      for (const a of attaches) await a.kill();
      await Promise.all([...sessions].map((s) => s.kill()));
    },
  };
}

function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1';
}

/** The checks the API server makes before it connects to the kubelet; a string is the BadRequest message. */
function parseExecRequest(pod: any, query: URLSearchParams): ExecRequest | string {
  const name: string = pod?.metadata?.name ?? '';
  const namespace: string = pod?.metadata?.namespace ?? '';
  const names = (list: unknown) =>
    Array.isArray(list) ? list.map((c: { name?: unknown }) => String(c?.name ?? '')) : [];
  const containers = names(pod?.spec?.containers);
  const initContainers = names(pod?.spec?.initContainers);
  const ephemeral = names(pod?.spec?.ephemeralContainers);
  let container = query.get('container') ?? '';
  if (container === '') {
    if (containers.length === 1) {
      container = containers[0]!;
    } else if (containers.length === 0) {
      return `a container name must be specified for pod ${name}`;
    } else {
      let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
      if (initContainers.length > 0) msg += ` or one of the init containers: [${initContainers.join(' ')}]`;
      return msg;
    }
  } else if (![...containers, ...initContainers, ...ephemeral].includes(container)) {
    return `container ${container} is not valid for pod ${name}`;
  }
  const tty = flag(query, 'tty');
  const request: ExecRequest = {
    namespace,
    pod: name,
    container,
    command: query.getAll('command'),
    stdin: flag(query, 'stdin'),
    stdout: flag(query, 'stdout'),
    // A TTY merges stderr into stdout; the kubelet drops a stderr request then.
    stderr: flag(query, 'stderr') && !tty,
    tty,
  };
  if (!request.stdin && !request.stdout && !flag(query, 'stderr')) {
    return 'you must specify at least 1 of stdin, stdout, stderr';
  }
  return request;
}

/** The request, or undefined after answering a refusal (bad parameters 400, no acceptable subprotocol 403). */
function checkedRequest(
  req: IncomingMessage,
  socket: Duplex,
  pod: any,
  query: URLSearchParams,
): ExecRequest | undefined {
  const parsed = parseExecRequest(pod, query);
  if (typeof parsed === 'string') {
    writeHttpStatus(socket, 400, 'BadRequest', parsed);
    return undefined;
  }
  // ws would accept a connection without a subprotocol when none fits; the real server refuses it.
  if (!negotiateProtocol(offeredProtocols(req.headers['sec-websocket-protocol']))) {
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    return undefined;
  }
  return parsed;
}

function writeHttpStatus(socket: Duplex, code: number, reason: string, message: string): void {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
  const statusText = code === 400 ? 'Bad Request' : 'Internal Server Error';
  socket.end(
    `HTTP/1.1 ${code} ${statusText}\r\nCache-Control: no-cache, private\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

class ExecSession {
  readonly done: Promise<void>;
  private readonly process: ExecProcess;
  private readonly resizes = new ResizeDecoder();
  private paused = false;
  private killTimer: NodeJS.Timeout | undefined;
  private inputProbe: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly protocol: ExecProtocol,
    private readonly request: ExecRequest,
    context: ExecContext,
  ) {
    // Like the server: an empty message on the lowest writable channel tells the client the streams are open.
    this.send(request.stdout ? STDOUT : request.stderr ? STDERR : STATUS, Buffer.alloc(0));

    this.process = startExecProcess({
      command: context.command,
      cwd: context.cwd,
      env: context.env,
      tty: request.tty,
      stdin: request.stdin,
      stdout: request.stdout,
      stderr: request.stderr,
      onOutput: (channel, data) => this.send(channel, data),
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', () => {});
    ws.on('close', () => this.onClientGone());
    this.done = this.process.exited.then((result) => {
      this.finished = true;
      clearTimeout(this.killTimer);
      clearInterval(this.inputProbe);
      const status =
        'startError' in result
          ? startFailureStatus(protocol, result.startError)
          : result.exitCode === 0
            ? successStatus()
            : exitCodeStatus(protocol, request.command, result.exitCode);
      const payload = statusPayload(protocol, status);
      if (payload) this.send(STATUS, payload);
      if (ws.readyState === ws.OPEN) ws.close(1000);
    });
  }

  /** Client gone: the kubelet's stream ends, the process gets SIGHUP, and SIGKILL if it lingers. */
  private onClientGone(): void {
    clearInterval(this.inputProbe);
    if (this.finished || this.killTimer) return;
    this.process.resumeOutput(); // paused pipes would never reach end-of-file
    this.process.signalGroup('SIGHUP');
    this.killTimer = setTimeout(() => this.process.signalGroup('SIGKILL'), KILL_GRACE_MS);
    this.killTimer.unref();
  }

  async kill(): Promise<void> {
    if (!this.finished) {
      this.process.resumeOutput();
      this.process.signalGroup('SIGKILL');
    }
    this.ws.terminate();
    await this.done;
  }

  private send(channel: number, data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(this.protocol, channel, data), () => this.maybeResume());
    if (!this.paused && this.ws.bufferedAmount > HIGH_WATER) {
      this.paused = true;
      this.process.pauseOutput();
    }
  }

  private maybeResume(): void {
    if (this.paused && this.ws.bufferedAmount <= HIGH_WATER / 2) {
      this.paused = false;
      this.process.resumeOutput();
    }
  }

  private pauseInput(): void {
    this.ws.pause();
    // A paused socket never sees the client leave; writing to it does (EPIPE), so ping while paused.
    this.inputProbe ??= setInterval(() => this.ws.ping(), 500);
  }

  private resumeInput(): void {
    clearInterval(this.inputProbe);
    this.inputProbe = undefined;
    if (this.ws.readyState === this.ws.OPEN) this.ws.resume();
  }

  private onMessage(raw: RawData, isBinary: boolean): void {
    const buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    const frame = decodeFrame(this.protocol, buf, isBinary);
    if (!frame) return;
    switch (frame.channel) {
      case STDIN:
        if (this.request.stdin && frame.data.length > 0) {
          // Backpressure to the client, as TCP gives it with a real kubelet: stop reading until the input drains.
          if (!this.process.writeInput(frame.data, () => this.resumeInput())) this.pauseInput();
        }
        break;
      case RESIZE:
        if (this.protocol.version >= 4 && this.request.tty) {
          for (const { cols, rows } of this.resizes.push(frame.data)) this.process.resize(cols, rows);
        }
        break;
      case CLOSE:
        if (this.protocol.version === 5 && frame.data[0] === STDIN && this.request.stdin) this.process.endInput();
        break;
    }
  }
}
