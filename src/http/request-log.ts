// One log line per request: id, method, route template, status, duration and the user when known.
// Fastify's own request logging is off: it would log raw URLs (query strings) and full headers.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requestPath } from './api-fallback.js';

/** The authenticated username, when the auth hook attached a session to the request. */
export function sessionUser(request: FastifyRequest): string | undefined {
  const session = (request as { session?: { username?: unknown } | null }).session;
  return typeof session?.username === 'string' ? session.username : undefined;
}

export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    const line = {
      method: request.method,
      route: route ?? '(unmatched)',
      ...(route === undefined ? { path: requestPath(request).slice(0, 200) } : {}),
      status,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      user: sessionUser(request),
      remoteAddress: request.ip,
    };
    if (status >= 500) request.log.warn(line, 'request');
    else request.log.info(line, 'request');
  });
}
