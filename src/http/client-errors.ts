// Requests Node's HTTP parser refuses before Fastify sees them (headers too large, Content-Length together with
// Transfer-Encoding, garbage) or that did not arrive in time (header and body timeouts): the one JSON error shape
// with the usual API headers, then the connection is closed. They are the client's mistake: logged at debug, no stack.

import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';

/** A socket whose answer could not be flushed (the peer does not read) is destroyed after this. */
const FLUSH_GRACE_MS = 2000;

interface ClientError extends Error {
  code?: string;
}

export function clientErrorAnswer(code: string | undefined): { status: number; message: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'request not received in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'request headers too large' };
    default:
      return { status: 400, message: 'malformed HTTP request' };
  }
}

function rawResponse(status: number, message: string): string {
  const body = JSON.stringify({ error: message });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'cache-control: no-store',
    'x-content-type-options: nosniff',
    `x-request-id: ${randomUUID()}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Fastify's `clientErrorHandler`. */
export function createClientErrorHandler(log: () => FastifyBaseLogger) {
  return (err: ClientError, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message } = clientErrorAnswer(err.code);
    log().debug({ clientError: err.code ?? err.name, status, remoteAddress: socket.remoteAddress }, message);
    // As Node itself: answer only when no response of a request on this connection has started.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (!socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(rawResponse(status, message), () => socket.destroy());
    setTimeout(() => socket.destroy(), FLUSH_GRACE_MS).unref();
  };
}

const NETWORK_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

/**
 * @fastify/websocket's errorHandler. A peer breaking the WebSocket protocol (a frame over the size limit, invalid
 * UTF-8, a bad close code) or dropping the connection is its own mistake: `ws` has already sent the matching close
 * frame, so the socket only gets time to finish the close. Anything else is a fault of ours.
 */
export function webSocketErrorHandler(
  error: ClientError,
  socket: { terminate(): void },
  request: { log: FastifyBaseLogger },
): void {
  const code = error.code ?? '';
  if (code.startsWith('WS_ERR_') || NETWORK_ERRORS.has(code)) {
    request.log.debug({ wsError: code }, 'websocket closed for a client error');
    setTimeout(() => socket.terminate(), FLUSH_GRACE_MS).unref();
    return;
  }
  request.log.error({ err: error }, 'websocket handler failed');
  socket.terminate();
}
