// Shared set-up of the terminal tests: a management simulator (Butler CRDs, a TenantCluster whose admin kubeconfig
// Secret points at a second, tenant simulator, pods for exec), the real server, and a WebSocket terminal client.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { butlerCrds } from '../../sim/crds.js';
import { startSimulator, type Simulator } from '../../sim/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { markTenantClusterReady, tenantClusterSeed } from '../helpers/sim.js';

export const TENANT_NS = 'butler-tenants';
export const CLUSTER = 'alpha';
export const TENANT_SECRET_NS = 'tn-alpha';

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
const pod = (namespace: string, name: string, containers: string[], annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
  spec: { containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
});

export interface TerminalEnv {
  management: Simulator;
  tenant: Simulator;
  server: TestServer;
  token: string;
  wsUrl(path: string): string;
  close(): Promise<void>;
}

export async function startTerminalEnv(env: Record<string, string> = {}): Promise<TerminalEnv> {
  const tenant = await startSimulator({
    seed: [node('tenant-node-1'), node('tenant-node-2'), ns('apps'), pod('apps', 'web', ['nginx'])],
  });
  const fixture = {
    namespace: TENANT_NS,
    name: CLUSTER,
    tenantNamespace: TENANT_SECRET_NS,
    kubeconfig: tenant.kubeconfig,
  };
  const management = await startSimulator({
    crds: butlerCrds(),
    seed: [
      ns('butler-system'),
      ns(TENANT_NS),
      ns(TENANT_SECRET_NS),
      node('mgmt-node-1'),
      ...tenantClusterSeed(fixture),
      pod('butler-system', 'solo', ['main']),
      pod('butler-system', 'duo', ['first', 'second'], { 'kubectl.kubernetes.io/default-container': 'second' }),
    ],
  });
  let server: TestServer;
  try {
    await markTenantClusterReady(management, fixture);
    server = await startTestServer({
      sim: management,
      env: { BUTLER_PROVIDER_ALLOWED_CIDRS: '127.0.0.0/8', ...env },
    });
  } catch (err) {
    await management.stop();
    await tenant.stop();
    throw err;
  }
  const { token } = await server.login();
  return {
    management,
    tenant,
    server,
    token,
    wsUrl: (path) => `${server.url.replace(/^http/, 'ws')}${path}`,
    async close() {
      await server.close();
      await management.stop();
      await tenant.stop();
    },
  };
}

export interface Closed {
  code: number;
  reason: string;
}

/** A terminal client like the console's: JSON data/resize frames in, text frames out, every frame checked as UTF-8. */
export class TerminalClient {
  readonly frames: string[] = [];
  text = '';
  readonly closed: Promise<Closed>;
  readonly binaryFrames: number[] = [];
  readonly invalidFrames: number[] = [];
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.binaryFrames.push(this.frames.length);
      let frame: string;
      try {
        frame = this.decoder.decode(data);
      } catch {
        this.invalidFrames.push(this.frames.length);
        frame = data.toString('utf8');
      }
      this.frames.push(frame);
      this.text += frame;
    });
    ws.on('error', () => {});
  }

  static connect(
    url: string,
    o: { token?: string; cookie?: string; origin?: string; headers?: Record<string, string> } = {},
  ): Promise<TerminalClient> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.cookie) headers.cookie = o.cookie;
    if (o.origin) headers.origin = o.origin;
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const client = new TerminalClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () =>
          reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })),
        );
      });
      ws.once('error', reject);
    });
  }

  /** The session id from the OSC 7717 sequence of the first frame. */
  get sessionId(): string | undefined {
    return /\x1b\]7717;butler-session=([A-Za-z0-9_-]+)\x07/.exec(this.text)?.[1];
  }

  input(data: string): void {
    this.ws.send(JSON.stringify({ type: 'data', data }));
  }

  resize(cols: number, rows: number): void {
    this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  /** Waits until the output (from `from` on) matches; returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.text.slice(from));
      if (m) return m;
      if (Date.now() > deadline)
        assert.fail(`output never matched ${pattern}: ${JSON.stringify(this.text.slice(-2000))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Runs a command and returns what it printed between two markers. */
  async run(command: string, timeoutMs = 10_000): Promise<string> {
    const tag = Math.random().toString(36).slice(2, 8);
    const from = this.text.length;
    // The markers are built by the shell (quotes split them) so the echoed command line does not match.
    this.input(`echo "<<${tag}""-start>>"; ${command}; echo "<<${tag}""-end>>"\r`);
    const m = await this.waitFor(new RegExp(`<<${tag}-start>>\\r?\\n([\\s\\S]*?)<<${tag}-end>>`), timeoutMs, from);
    return m[1]!;
  }

  async closedWithin(ms = 10_000): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`socket not closed within ${ms} ms; output ${JSON.stringify(this.text.slice(-500))}`)),
        ms,
      );
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(code = 1000): void {
    this.ws.close(code);
  }

  /** An abrupt drop: no close frame (the server sees 1006). */
  drop(): void {
    this.ws.terminate();
  }
}

export const RED = (message: string) => `\x1b[31m${message}\x1b[0m\r\n`;

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
