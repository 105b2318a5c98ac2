// A /ws/clusters client for tests: applies snapshot / resync / cluster_update / cluster_delete in order, the way the
// console would, and remembers its last resourceVersion for resuming.
import WebSocket from 'ws';

export interface ClusterLike {
  metadata: { name: string; namespace?: string; resourceVersion: string };
  spec?: Record<string, unknown>;
}

interface Frame {
  type: string;
  payload?: {
    clusters?: ClusterLike[];
    cluster?: ClusterLike;
    resourceVersion?: string;
    name?: string;
    namespace?: string;
  };
}

export interface ConnectOptions {
  cookie?: string;
  token?: string;
  origin?: string;
  resourceVersion?: string;
  /** The state the client had before (when resuming), applied before the first frame. */
  state?: Map<string, string>;
  /** Handshake timeout (ms). */
  timeoutMs?: number;
}

export const keyOf = (c: { metadata: { name: string; namespace?: string } }) =>
  `${c.metadata.namespace ?? ''}/${c.metadata.name}`;

export function wsUrl(httpUrl: string, resourceVersion?: string): string {
  const u = new URL('/ws/clusters', httpUrl.replace(/^http/, 'ws'));
  if (resourceVersion !== undefined) u.searchParams.set('resourceVersion', resourceVersion);
  return u.toString();
}

export class LiveClient {
  /** `namespace/name` → resourceVersion. */
  readonly state = new Map<string, string>();
  readonly types: string[] = [];
  lastResourceVersion = '';
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.notify();
        resolve({ code, reason: this.closeReason });
      });
    });
    ws.on('error', () => undefined);
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as Frame));
  }

  static connect(baseUrl: string, o: ConnectOptions = {}): Promise<LiveClient> {
    const headers: Record<string, string> = {};
    if (o.cookie) headers.cookie = o.cookie;
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.origin) headers.origin = o.origin;
    const ws = new WebSocket(wsUrl(baseUrl, o.resourceVersion), {
      headers,
      handshakeTimeout: o.timeoutMs ?? 10_000,
      perMessageDeflate: false,
    });
    const client = new LiveClient(ws);
    for (const [k, v] of o.state ?? []) client.state.set(k, v);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })),
        );
      });
      ws.once('error', reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Resolves once `condition` holds (checked after every frame and on close); rejects after the timeout. */
  waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last ${this.types.slice(-3).join(',')})`),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private onFrame(f: Frame): void {
    this.types.push(f.type);
    switch (f.type) {
      case 'snapshot':
      case 'resync':
        this.state.clear();
        for (const c of f.payload?.clusters ?? []) this.state.set(keyOf(c), c.metadata.resourceVersion);
        this.lastResourceVersion = f.payload?.resourceVersion ?? '';
        break;
      case 'cluster_update': {
        const c = f.payload!.cluster!;
        this.state.set(keyOf(c), c.metadata.resourceVersion);
        this.lastResourceVersion = c.metadata.resourceVersion;
        break;
      }
      case 'cluster_delete':
        this.state.delete(`${f.payload?.namespace ?? ''}/${f.payload?.name}`);
        this.lastResourceVersion = f.payload?.resourceVersion ?? '';
        break;
    }
    this.notify();
  }
}

/** `namespace/name@rv` lines, sorted, for comparing states. */
export function describeState(state: Map<string, string>): string[] {
  return [...state].map(([k, rv]) => `${k}@${rv}`).sort();
}
