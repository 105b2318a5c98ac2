// Upgraded connections (exec, attach, port-forward; WebSocket or SPDY) passed through end to end: the upgrade
// request goes to the cluster with the upstream credentials, the cluster's 101 answer (accept key, negotiated
// subprotocol) goes back unchanged, and from then on the two sockets are spliced byte for byte.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { KubeApiError } from '../kube/errors.js';
import { switchingProtocolsHead } from './headers.js';
import type { ConnectOptions } from '../kube/credentials.js';

export type UpgradeAnswer =
  | { kind: 'upgraded'; response: IncomingMessage; socket: Duplex; head: Buffer }
  /** The cluster refused the upgrade with an ordinary answer (e.g. a Status); relay it as such. */
  | { kind: 'response'; response: IncomingMessage };

export interface UpgradeRequest {
  method: string;
  /** Kubernetes API path and query string as sent. */
  pathAndQuery: string;
  /** Filtered caller headers (no credentials, no hop-by-hop), plus the impersonation headers when impersonating. */
  headers: Record<string, string | string[]>;
  /** The caller's Upgrade header value (`websocket`, `SPDY/3.1`). */
  upgrade: string;
  timeoutMs: number;
  /** For error messages: 'management' or 'tenant <ns>/<name>'. */
  clientName: string;
}

/** Sends the upgrade request upstream; resolves on its 101 or other answer, rejects with a KubeApiError. */
export function requestUpgrade(creds: ConnectOptions, o: UpgradeRequest): Promise<UpgradeAnswer> {
  const isHttps = creds.server.protocol === 'https:';
  const basePath = creds.server.pathname.replace(/\/+$/, '');
  const meta = { clientName: o.clientName, method: o.method, path: o.pathAndQuery };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      f();
      return true;
    };
    const req = (isHttps ? https : http).request({
      ...(isHttps ? creds.tls : {}),
      hostname: creds.server.hostname.replace(/^\[|\]$/g, ''),
      port: creds.server.port || (isHttps ? 443 : 80),
      method: o.method,
      path: `${basePath}${o.pathAndQuery}`,
      headers: { ...o.headers, ...creds.headers, connection: 'Upgrade', upgrade: o.upgrade },
      agent: false,
    });
    const timer = setTimeout(() => {
      const err = new KubeApiError('timeout', `${o.clientName}: upgrade ${o.pathAndQuery} timed out`, meta);
      if (settle(() => reject(err))) req.destroy(err);
    }, o.timeoutMs);
    timer.unref();
    req.on('upgrade', (response, socket, head) => {
      if (!settle(() => resolve({ kind: 'upgraded', response, socket, head }))) socket.destroy();
    });
    req.on('response', (response) => {
      if (!settle(() => resolve({ kind: 'response', response }))) response.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      settle(() =>
        reject(
          new KubeApiError(
            'unavailable',
            `${o.clientName}: upgrade ${o.pathAndQuery} failed: ${err.code ?? err.message}`,
            {
              ...meta,
              cause: err,
            },
          ),
        ),
      );
    });
    req.end();
  });
}

/**
 * Answers the caller with the upstream's 101 and splices the sockets. Resolves when both sides are closed.
 * Neither side has a timeout: an exec session may be idle for a long time.
 */
export function spliceUpgraded(client: Duplex, clientHead: Buffer, up: Extract<UpgradeAnswer, { kind: 'upgraded' }>) {
  const { socket: upstream } = up;
  const closed = new Promise<void>((resolve) => {
    let open = 2;
    const onClose = () => {
      open -= 1;
      if (open === 0) resolve();
    };
    client.once('close', onClose);
    upstream.once('close', onClose);
  });
  const destroyBoth = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', destroyBoth);
  upstream.on('error', destroyBoth);
  client.once('close', () => upstream.destroy());
  upstream.once('close', () => client.destroy());
  setNoDelay(client);
  setNoDelay(upstream);

  client.write(switchingProtocolsHead(up.response.statusMessage, up.response.rawHeaders));
  if (up.head.length > 0) client.write(up.head);
  if (clientHead.length > 0) upstream.write(clientHead);
  upstream.pipe(client);
  client.pipe(upstream);
  return { closed, destroy: destroyBoth };
}

function setNoDelay(s: Duplex): void {
  const maybe = s as Duplex & { setNoDelay?: (on: boolean) => void };
  maybe.setNoDelay?.(true);
}
