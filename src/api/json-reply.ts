// Sends prebuilt JSON text, gzip-compressed when the client accepts it and the answer is large. The compressed
// form of the last text is remembered, so a list serialised once per change is also compressed once per change.
import { gzipSync, constants as zlib } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

const COMPRESS_FROM_BYTES = 16 * 1024;

export interface JsonTextSender {
  /**
   * Sends `wrap(source)`. `source` identifies the content: the same string instance (a cache's list JSON, which
   * changes only when the list does) reuses the bytes and gzip of the previous answer without comparing content.
   */
  send(request: FastifyRequest, reply: FastifyReply, source: string, wrap?: (s: string) => string): FastifyReply;
}

export function createJsonTextSender(): JsonTextSender {
  let lastSource: string | undefined;
  let lastBytes: Buffer | undefined;
  let lastGzip: Buffer | undefined;
  return {
    send(request, reply, source, wrap = (s) => s) {
      reply.type('application/json; charset=utf-8');
      reply.header('vary', 'Accept-Encoding');
      if (source.length < COMPRESS_FROM_BYTES) return reply.send(wrap(source));
      if (source !== lastSource || !lastBytes) {
        lastSource = source;
        lastBytes = Buffer.from(wrap(source), 'utf8');
        lastGzip = undefined;
      }
      const accepts = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      if (!accepts) return reply.send(lastBytes);
      lastGzip ??= gzipSync(lastBytes, { level: 4, strategy: zlib.Z_DEFAULT_STRATEGY });
      reply.header('content-encoding', 'gzip');
      return reply.send(lastGzip);
    },
  };
}
