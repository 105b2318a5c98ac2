// A WebSocket to a Kubernetes API server with a KubeConfig's connect options (credentials.ts: the same refreshed
// credentials as the KubeClient built from that KubeConfig), for the exec API.
import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { connectOptions, type ConnectOptions } from '../kube/credentials.js';

const HANDSHAKE_TIMEOUT_MS = 15_000;

export interface KubeSocketFailure {
  /** HTTP status of a refused upgrade (0 for network errors). */
  status: number;
  /** The Status message of the answer, or the network error. */
  message: string;
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
export async function openKubeWebSocket(
  kc: KubeConfig,
  path: string,
  protocols: string[],
  clientName: string,
): Promise<WebSocket> {
  let connect: ConnectOptions;
  try {
    connect = await connectOptions(kc, clientName);
  } catch (err) {
    throw { status: 0, message: (err as Error).message } satisfies KubeSocketFailure;
  }
  const { server, headers, tls } = connect;
  const url = `${server.protocol === 'https:' ? 'wss:' : 'ws:'}//${server.host}${server.pathname.replace(/\/+$/, '')}${path}`;
  const ws = new WebSocket(url, protocols, {
    headers,
    ...tls,
    perMessageDeflate: false,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    maxPayload: 16 * 1024 * 1024,
  });
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
