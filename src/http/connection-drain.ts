// At shutdown every keep-alive connection ends as soon as it carries no request, not at its keep-alive timeout
// (BUTLER_HTTP_IDLE_TIMEOUT, 72 s by default): that would hold app.close() past the shutdown deadline, and the
// process would exit without its orderly clean-up.
//
// Node's server.close() closes the connections it counts as idle, but two kinds escape it: a connection whose
// response had sent its headers (without `Connection: close`) before the close began and finishes after it, and, now
// and then, a connection that Node's own idle list does not hold although nothing is on it. So the server keeps its
// own account: requests in flight per connection, and how many bytes had arrived when the last one ended (more bytes
// since then: a request is arriving, and the connection is left to finish it). Upgraded connections (WebSockets)
// are left to their own close handshake.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

const END_GRACE_MS = 1000;

export interface ConnectionDrain {
  /** From now on a connection is ended as soon as it carries no request; those idle now are ended at once. */
  start(): void;
}

export function trackConnectionsForDrain(server: Server): ConnectionDrain {
  const open = new Set<Socket>();
  const inFlight = new Map<Socket, number>();
  const bytesAtRest = new WeakMap<Socket, number>();
  const upgraded = new WeakSet<Socket>();
  let draining = false;

  const idle = (socket: Socket) =>
    !inFlight.has(socket) && !upgraded.has(socket) && socket.bytesRead === (bytesAtRest.get(socket) ?? 0);

  const endIfIdle = (socket: Socket) => {
    if (!draining || socket.destroyed || !idle(socket)) return;
    // FIN after whatever is still queued; a peer that does not close its side is cut off shortly after.
    socket.end();
    setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
  };

  // With TLS a request's socket is the TLS socket, which 'secureConnection' hands out ('connection' has the TCP one).
  server.on(server instanceof HttpsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      inFlight.delete(socket);
    });
  });
  // Before Fastify's own listener, so a request is counted before anything can answer it.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      if (left > 0) return void inFlight.set(socket, left);
      inFlight.delete(socket);
      bytesAtRest.set(socket, socket.bytesRead);
      endIfIdle(socket);
    });
  });
  server.prependListener('upgrade', (_req: IncomingMessage, socket: Socket) => {
    upgraded.add(socket);
  });

  return {
    start() {
      draining = true;
      for (const socket of open) endIfIdle(socket);
    },
  };
}
