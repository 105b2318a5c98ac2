// The Kubernetes API simulator as a library: startSimulator() serves a faithful in-memory API on loopback.
// A test and demo tool: it binds 127.0.0.1 only and must never be exposed.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { createExecHandler } from './exec.js';
import { FaultPlan } from './faults.js';
import type { AuditEvent } from './audit.js';
import { impersonate } from './impersonation.js';
import { Kubelet } from './kubelet.js';
import { OpenApiV3 } from './openapi.js';
import { execVerbs, RbacAuthorizer, type Denial } from './rbac.js';
import { authenticate, handleRequest, parseResourcePath, type RecordedRequest, type ServerContext } from './server.js';
import { ApiState, INITIAL_NAMESPACES } from './state.js';
import { ApiError, badRequest, PlainTextError, unauthorized, unknownResource, type Status } from './status.js';
import { versionInfo } from './discovery.js';
import { servingCert } from './tls.js';
import type { ActiveWatch } from './watch.js';

export interface SimulatorOptions {
  port?: number;
  token?: string;
  crds?: object[];
  seed?: object[];
  bookmarkIntervalMs?: number;
  historySize?: number;
  /** Non-loopback address; only the CLI's --unsafe-bind-address sets it. */
  unsafeBindAddress?: string;
  /** Name of the cluster, context and user in the kubeconfig (default `sim`); distinct names merge cleanly. */
  name?: string;
  /** The server version `/version` reports, e.g. `v1.30.6` (default v1.31.0). */
  kubernetesVersion?: string;
}

export interface Simulator {
  url: string;
  /** The server URL of the kubeconfig: https on the same port when TLS is available, else `url`. */
  serverUrl: string;
  token: string;
  kubeconfigPath: string;
  kubeconfig: string;
  faults: {
    endWatches(): void;
    failNext(n: number, o: { status: number; path?: string | RegExp; reason?: string; message?: string }): void;
    setLatency(ms: number): void;
    compact(): void;
    down(): Promise<void>;
    /**
     * Listens again. `keepState: false` comes back with only the CRDs and seed, history compacted; with `newStorage`
     * too, resourceVersions start again from the beginning (an API server whose etcd was lost).
     */
    up(o?: { keepState?: boolean; newStorage?: boolean }): Promise<void>;
  };
  requests: RecordedRequest[];
  recordRequests(on: boolean): void;
  /** A bearer token for ServiceAccount `namespace/name`, authorized by the stored RBAC objects (sim/rbac.ts). */
  tokenFor(namespace: string, serviceAccount: string): string;
  /** Writes a kubeconfig (same server and CA as `kubeconfigPath`) with tokenFor's token; returns its path. */
  kubeconfigFor(namespace: string, serviceAccount: string): string;
  /** Requests refused with 403 (for any user but system:masters; impersonation included), oldest first. */
  denials: Denial[];
  /**
   * Resource requests as kube-apiserver's audit log records them: the caller, the impersonated user if any, the
   * object and the answer's status code; oldest first, the newest 10000 (sim/audit.ts).
   */
  audit: AuditEvent[];
  stop(): Promise<void>;
}

export function kubeconfigYaml(server: string, token: string, caPem?: string, name = 'sim'): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    ...(caPem ? [`    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}`] : []),
    `    server: ${server}`,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    `current-context: ${name}`,
    'users:',
    `- name: ${name}`,
    '  user:',
    `    token: ${token}`,
    'preferences: {}',
    '',
  ].join('\n');
}

function seedState(state: ApiState, crds: object[], seed: object[]): void {
  const nsType = state.lookup('', 'v1', 'namespaces')!;
  for (const name of INITIAL_NAMESPACES) state.create(nsType, undefined, { metadata: { name } });
  const crdType = state.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const crd of crds) state.create(crdType, undefined, crd);
  for (const obj of seed as any[]) {
    const [group, version] = String(obj.apiVersion ?? '').includes('/')
      ? String(obj.apiVersion).split('/')
      : ['', obj.apiVersion];
    const rt = state.allTypes().find((t) => t.group === group && t.version === version && t.kind === obj.kind);
    if (!rt) throw new Error(`seed: no resource serves ${obj.apiVersion} ${obj.kind}`);
    state.create(rt, obj.metadata?.namespace, obj, { keepStatus: true });
  }
}

function writeRawStatus(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.status);
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[err.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${err.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function writeRawText(socket: Duplex, err: PlainTextError): void {
  socket.end(
    `HTTP/1.1 ${err.code} Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(err.text)}\r\nConnection: close\r\n\r\n${err.text}`,
  );
}

/**
 * The socket as a plain Duplex starting with `first`: TLS then reads through the stream interface
 * (a net.Socket handed over directly would be read from its handle, losing the byte already read).
 */
function streamOf(socket: Socket, first: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, cb) {
      socket.write(chunk, encoding, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  d.push(first);
  socket.on('data', (chunk: Buffer) => {
    if (!d.push(chunk)) socket.pause();
  });
  socket.on('end', () => d.push(null));
  socket.on('close', () => d.destroy());
  return d;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const host = opts.unsafeBindAddress ?? '127.0.0.1';
  const crds = opts.crds ?? [];
  const seed = opts.seed ?? [];
  const state = new ApiState(opts.historySize ?? 10000);
  seedState(state, crds, seed);
  const tempDir = mkdtempSync(join(tmpdir(), 'butler-sim-'));
  const scratchRoot = join(tempDir, 'pods');
  const kubelet = new Kubelet({
    state,
    root: join(tempDir, 'kubelet'),
    tokenFor: (namespace, serviceAccount) => ctx.rbac.tokenFor(namespace, serviceAccount),
    warn: (message) => process.emitWarning(message),
  });
  const exec = createExecHandler({ scratchRoot, kubelet });
  const faults = new FaultPlan();
  const watches = new Set<ActiveWatch>();
  const sockets = new Set<Socket>();
  const recording = { on: false, requests: [] as RecordedRequest[] };
  let port = opts.port ?? 0;

  const ctx: ServerContext = {
    state,
    token,
    faults,
    watches,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60000,
    recording,
    audit: [],
    serverAddress: () => `${host}:${port}`,
    openapi: new OpenApiV3(),
    rbac: new RbacAuthorizer(state),
    versionInfo: versionInfo(opts.kubernetesVersion),
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'http://sim.invalid');
      if (recording.on)
        recording.requests.push({
          method: req.method ?? 'GET',
          path: url.pathname + url.search,
          headers: { ...req.headers },
        });
      const caller = authenticate(ctx, req.headers.authorization);
      if (!caller) throw unauthorized();
      const identity = impersonate(ctx.rbac, caller, req, req.url ?? '/');
      const injected = faults.take(url.pathname);
      if (injected) throw injected;
      const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const rp = parseResourcePath(state, segs);
      if (!rp || rp.rt.group !== '' || rp.rt.plural !== 'pods' || !rp.ns || !rp.name) throw unknownResource();
      if (rp.subresource !== 'exec' && rp.subresource !== 'attach') throw badRequest('Upgrade request required');
      for (const verb of execVerbs(req.method ?? 'GET')) {
        ctx.rbac.authorize(identity, {
          verb,
          apiGroup: '',
          resource: 'pods',
          subresource: rp.subresource,
          name: rp.name,
          namespace: rp.ns,
        });
      }
      const pod = state.get(rp.rt, rp.ns, rp.name).obj;
      if (rp.subresource === 'attach') exec.handleAttach(req, socket, head, pod, url.searchParams);
      else exec.handleUpgrade(req, socket, head, pod, url.searchParams);
    } catch (e) {
      if (e instanceof PlainTextError) return writeRawText(socket, e);
      const err = e instanceof ApiError ? e : badRequest(String((e as Error)?.message ?? e));
      writeRawStatus(socket, err);
    }
  };

  // One port speaks both plain HTTP (the `url`, handy for tests) and TLS (the kubeconfig, since kubectl
  // sends tokens only over TLS): the first byte of a connection tells a TLS handshake (0x16) apart.
  const tls = servingCert();
  const handler: RequestListener = (req, res) => {
    void handleRequest(ctx, req, res);
  };
  const plain: Server = createServer(handler);
  const secure: HttpsServer | undefined = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler)
    : undefined;
  for (const s of [plain, secure]) {
    if (!s) continue;
    s.keepAliveTimeout = 30_000;
    s.on('upgrade', onUpgrade);
    s.on('clientError', (_err: Error, socket: Duplex) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }
  let listener: NetServer;
  const listen = async (): Promise<void> => {
    listener = createNetServer((socket: Socket) => {
      // Like Go's net/http (TCP_NODELAY on): small exec/attach frames go out at once.
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.once('data', (first: Buffer) => {
        socket.pause();
        if (first[0] === 0x16 && secure) {
          secure.emit('connection', streamOf(socket, first));
        } else {
          socket.unshift(first);
          plain.emit('connection', socket);
        }
        socket.resume();
      });
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    const addr = listener.address();
    if (addr && typeof addr === 'object') port = addr.port;
  };
  await listen();

  const url = `http://${host}:${port}`;
  const serverUrl = tls ? `https://${host}:${port}` : url;
  if (opts.name !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(opts.name))
    throw new Error(`simulator name "${opts.name}" is not a DNS name`);
  const kubeconfig = kubeconfigYaml(serverUrl, token, tls?.cert, opts.name);
  const kubeconfigPath = join(tempDir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

  const endWatches = () => {
    for (const w of [...watches]) w.close();
  };
  let isUp = true;
  const down = async () => {
    if (!isUp) return;
    isUp = false;
    endWatches();
    const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };

  const sim: Simulator = {
    url,
    serverUrl,
    token,
    kubeconfigPath,
    kubeconfig,
    faults: {
      endWatches,
      failNext: (n, o) => faults.failNext(n, o),
      setLatency: (ms) => {
        faults.latencyMs = Math.max(0, ms);
      },
      compact: () => state.compact(),
      down,
      up: async (o) => {
        if (isUp) return;
        if (o?.keepState === false) {
          state.reset({ newStorage: o.newStorage });
          seedState(state, crds, seed);
          if (!o.newStorage) state.compact();
        }
        await listen();
        isUp = true;
      },
    },
    requests: recording.requests,
    recordRequests: (on) => {
      recording.on = on;
    },
    tokenFor: (namespace, serviceAccount) => ctx.rbac.tokenFor(namespace, serviceAccount),
    kubeconfigFor: (namespace, serviceAccount) => {
      const saToken = ctx.rbac.tokenFor(namespace, serviceAccount);
      const path = join(tempDir, `kubeconfig-${namespace}-${serviceAccount}-${randomBytes(4).toString('hex')}`);
      const text = tls ? kubeconfigYaml(`https://${host}:${port}`, saToken, tls.cert) : kubeconfigYaml(url, saToken);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    },
    denials: ctx.rbac.denials,
    audit: ctx.audit,
    stop: async () => {
      await down();
      await exec.closeAll();
      await kubelet.close();
      rmSync(tempDir, { recursive: true, force: true });
    },
  };
  return sim;
}

export type { AuditEvent } from './audit.js';
export type { Denial, RecordedRequest, Status };
