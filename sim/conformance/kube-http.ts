// Plain HTTP(S) access to any Kubernetes API server described by a kubeconfig: the same code talks to the
// simulator (http + bearer token) and to a real kube-apiserver (https + client certificate or token).
import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';

export interface KubeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: any;
}

export interface RequestOptions {
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  contentType?: string;
  /** An array is sent as one header line per value (e.g. Impersonate-Group). */
  headers?: Record<string, string | string[]>;
  timeoutMs?: number;
}

export interface WatchEvent {
  type: string;
  object: any;
}

export interface WatchStream {
  /** HTTP status of the watch response. */
  status: number;
  /** Every event received so far, in order. */
  events: WatchEvent[];
  /** Resolves with the first event at index >= `from` that matches, or rejects after `timeoutMs`. */
  waitFor(match: (e: WatchEvent) => boolean, timeoutMs: number, from?: number): Promise<WatchEvent>;
  /** Waits until at least `count` events arrived (rejects after `timeoutMs`). */
  waitForCount(count: number, timeoutMs: number): Promise<WatchEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  isEnded(): boolean;
  close(): void;
}

export interface KubeTarget {
  server: URL;
  request(method: string, path: string, opts?: RequestOptions): Promise<KubeResponse>;
  watch(path: string): Promise<WatchStream>;
  /** Opens a WebSocket (e.g. pod exec) with the kubeconfig's credentials. */
  websocket(path: string, protocols: string[]): WebSocket;
  close(): void;
}

interface Credentials {
  agent: http.Agent;
  headers: Record<string, string>;
  tls: Pick<https.RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
}

async function credentialsFor(kc: KubeConfig, server: URL): Promise<Credentials> {
  const opts: https.RequestOptions = {};
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    // client-node refuses to build an agent for http:// servers unless insecure-skip-tls-verify is set;
    // the credentials (headers) are applied before that check, and plain http needs no TLS agent.
    if (server.protocol !== 'http:') throw err;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v);
  }
  if (opts.auth) headers.Authorization = 'Basic ' + Buffer.from(opts.auth).toString('base64');
  const tls = {
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    rejectUnauthorized: opts.rejectUnauthorized,
    servername: opts.servername,
  };
  const agent =
    server.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
  return { agent, headers, tls };
}

/**
 * Connects with the kubeconfig's credentials, or with `bearerToken` instead of them (same server and CA, no client
 * certificate: a server tries the certificate before a token).
 */
export async function connect(kubeconfigPath: string, o: { bearerToken?: string } = {}): Promise<KubeTarget> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig ${kubeconfigPath} has no current cluster`);
  const server = new URL(cluster.server);
  let creds = await credentialsFor(kc, server);
  if (o.bearerToken !== undefined) {
    creds.agent.destroy();
    const tls = {
      ca: creds.tls.ca,
      rejectUnauthorized: creds.tls.rejectUnauthorized,
      servername: creds.tls.servername,
    };
    const agent =
      server.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
    creds = { agent, headers: { Authorization: `Bearer ${o.bearerToken}` }, tls };
  }
  const lib = server.protocol === 'https:' ? https : http;
  const base = server.pathname.replace(/\/$/, '');

  function open(method: string, path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const headers: Record<string, string | string[]> = {
      Accept: 'application/json',
      ...creds.headers,
      ...opts.headers,
    };
    if (payload !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = lib.request(
        {
          protocol: server.protocol,
          hostname: server.hostname,
          port: server.port,
          path: base + path,
          method,
          headers,
          agent: creds.agent,
        },
        resolve,
      );
      req.setTimeout(opts.timeoutMs ?? 15000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async function request(method: string, path: string, opts: RequestOptions = {}): Promise<KubeResponse> {
    const res = await open(method, path, opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode ?? 0, headers: res.headers, text, body };
  }

  async function watch(path: string): Promise<WatchStream> {
    const res = await open('GET', path, { timeoutMs: 120000 });
    const events: WatchEvent[] = [];
    const waiters = new Set<() => void>();
    let ended = false;
    let buf = '';
    const notify = () => waiters.forEach((w) => w());
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) events.push(JSON.parse(line) as WatchEvent);
        nl = buf.indexOf('\n');
      }
      notify();
    });
    const endedP = new Promise<void>((resolve) => {
      const done = () => {
        ended = true;
        notify();
        resolve();
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });

    function waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
      return new Promise((resolve, reject) => {
        const tick = () => {
          const v = check();
          if (v !== undefined) {
            finish();
            resolve(v);
          } else if (ended) {
            finish();
            reject(new Error(`watch ${path} ended before ${what}; got ${JSON.stringify(events)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out waiting for ${what} on ${path}; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(tick);
        };
        waiters.add(tick);
        tick();
      });
    }

    return {
      status: res.statusCode ?? 0,
      events,
      waitFor: (match, timeoutMs, from = 0) =>
        waitUntil(() => events.slice(from).find(match), timeoutMs, 'a matching event'),
      waitForCount: (count, timeoutMs) =>
        waitUntil(() => (events.length >= count ? events.slice() : undefined), timeoutMs, `${count} events`),
      ended: endedP,
      isEnded: () => ended,
      close: () => res.destroy(),
    };
  }

  function websocket(path: string, protocols: string[]): WebSocket {
    const wsUrl = new URL(base + path, server);
    wsUrl.protocol = server.protocol === 'https:' ? 'wss:' : 'ws:';
    return new WebSocket(wsUrl, protocols, { headers: creds.headers, ...creds.tls });
  }

  return { server, request, watch, websocket, close: () => creds.agent.destroy() };
}
