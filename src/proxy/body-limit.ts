// The proxy's own request body limit, enforced while the body streams through (it is never buffered).
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { HttpError } from '../http/errors.js';
import { formatBytes } from '../http/sizes.js';

export const bodyTooLarge = (limit: number) =>
  new HttpError(413, `request body too large (limit ${formatBytes(limit)})`);

/** Passes `source` through, failing with a 413 HttpError as soon as more than `limit` bytes went by. */
export function limitedBody(source: Readable, limit: number): Transform {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(bodyTooLarge(limit));
      else callback(null, chunk);
    },
  });
  source.on('error', (err) => counter.destroy(err));
  // The source is left to the caller on overflow: see discardRestOfBody.
  counter.on('error', () => source.unpipe(counter));
  return source.pipe(counter);
}

const DISCARD_MS = 1000;

/**
 * After a 413 answer: read and drop what the client is still sending, up to `maxBytes` or one second, then close
 * the connection. Closing at once with unread data would reset the connection, and the client might lose the
 * answer (Go's server lingers the same way).
 */
export function discardRestOfBody(req: IncomingMessage, maxBytes: number): void {
  if (req.complete) return;
  let discarded = 0;
  const stop = () => req.socket.destroy();
  const timer = setTimeout(stop, DISCARD_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > maxBytes) stop();
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/** Whether the request announces a body: a non-zero Content-Length or chunked transfer. */
export function hasBody(headers: { 'content-length'?: string; 'transfer-encoding'?: string }): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const len = headers['content-length'];
  return len !== undefined && len !== '0';
}
