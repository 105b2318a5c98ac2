import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/types.js';

/**
 * The client address for throttling and audit: the socket peer, or with BUTLER_TRUST_PROXY the right-most
 * X-Forwarded-For entry (the one the trusted proxy appended; entries left of it are client-supplied).
 */
export function clientAddress(request: FastifyRequest, config: Config): string {
  if (config.http.trustProxy) {
    const xff = request.headers['x-forwarded-for'];
    const list = (Array.isArray(xff) ? xff.join(',') : (xff ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const last = list[list.length - 1];
    if (last) return last.slice(0, 64);
  }
  return request.raw.socket.remoteAddress ?? 'unknown';
}
