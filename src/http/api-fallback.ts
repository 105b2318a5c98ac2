// Unmatched /api and /ws requests: 405 with Allow when the path exists for other methods, else 404.
// This runs as the not-found handler, so the auth hook has already answered 401 for requests without a session.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';
import { sendHttpError } from './error-handler.js';
import type { RouteTable } from './route-table.js';

export function isApiOrWsPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/ws' || path.startsWith('/ws/');
}

export function requestPath(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function answerUnmatchedApi(request: FastifyRequest, reply: FastifyReply, routes: RouteTable): FastifyReply {
  const path = requestPath(request);
  const allowed = routes.allowedMethods(path);
  if (allowed.length > 0 && !allowed.includes(request.method)) {
    return sendHttpError(reply, new HttpError(405, 'method not allowed', undefined, { allow: allowed.join(', ') }));
  }
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return sendHttpError(reply, new HttpError(404, `no such endpoint: ${request.method} ${shown}`));
}
