// A WebSocket to a Kubernetes API server with a KubeConfig's credentials (token, basic auth, client certificates,
// CA, exec plugins of trusted configs), for the exec API.
import type https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';

const HANDSHAKE_TIMEOUT_MS = 15_000;

export interface KubeSocketFailure {
  /** HTTP status of a refused upgrade (0 for network errors). */
  status: number;
  /** The Status message of the answer, or the network error. */
  message: string;
}

async function socketOptions(kc: KubeConfig): Promise<WebSocket.ClientOptions> {
  const o: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(o);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  if (o.auth) headers.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
  return {
    headers,
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.cert ? { cert: o.cert } : {}),
    ...(o.key ? { key: o.key } : {}),
    ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
    ...(o.servername ? { servername: o.servername } : {}),
    perMessageDeflate: false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    maxPayload: 16 * 1024 * 1024,
  };
}

function statusMessage(body: string, status: number): string {
  try {
    const s = JSON.parse(body) as { message?: unknown };
    if (typeof s.message === 'string' && s.message) return s.message;
  } catch {
    // not a Status
  }
  return `HTTP ${status}`;
}

/** Opens the socket; rejects with a KubeSocketFailure when the upgrade is refused or the network fails. */
export async function openKubeWebSocket(kc: KubeConfig, path: string, protocols: string[]): Promise<WebSocket> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw { status: 0, message: 'kubeconfig has no current cluster' } satisfies KubeSocketFailure;
  const base = new URL(cluster.server);
  const url = `${base.protocol === 'https:' ? 'wss:' : 'ws:'}//${base.host}${base.pathname.replace(/\/+$/, '')}${path}`;
  const ws = new WebSocket(url, protocols, await socketOptions(kc));
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.removeAllListeners('error');
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 64 * 1024) body += c;
      });
      res.on('end', () => reject({ status: res.statusCode ?? 0, message: statusMessage(body, res.statusCode ?? 0) }));
      res.on('error', () => reject({ status: res.statusCode ?? 0, message: `HTTP ${res.statusCode}` }));
    });
    ws.once('error', (err) => reject({ status: 0, message: err.message } satisfies KubeSocketFailure));
  });
}
