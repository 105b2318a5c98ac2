// Headers every /api and /ws answer carries (docs/api.md §1), errors included.

import type { FastifyInstance } from 'fastify';
import { isApiOrWsPath, requestPath } from './api-fallback.js';

export function installApiHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (isApiOrWsPath(requestPath(request))) {
      reply.header('cache-control', 'no-store');
      reply.header('x-content-type-options', 'nosniff');
    }
  });
}
