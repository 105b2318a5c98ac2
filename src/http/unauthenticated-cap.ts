// Requests without a session that are in progress at once, per client address (BUTLER_HTTP_UNAUTH_MAX_PER_ADDRESS):
// beyond the cap → 429 and the connection is closed. A slow body holds its slot until it has arrived or the body
// timeout ends it, so one address cannot tie up the server with slow requests. Health probes and WebSocket upgrades
// (which have their own caps) are not counted. Runs after the auth hook, which sets request.session.

import type { FastifyInstance } from 'fastify';
import { clientAddress } from '../auth/address.js';
import type { Config } from '../config/types.js';
import { requestPath } from './api-fallback.js';
import { HttpError } from './errors.js';

const UNCOUNTED_PATHS = new Set(['/healthz', '/readyz']);
const RETRY_AFTER_SECONDS = '5';

export function installUnauthenticatedCap(app: FastifyInstance, config: Config): void {
  const max = config.http.unauthMaxPerAddress;
  const inProgress = new Map<string, number>();

  app.addHook('onRequest', async (request, reply) => {
    if (request.session || request.ws || UNCOUNTED_PATHS.has(requestPath(request))) return;
    const address = clientAddress(request, config);
    const count = inProgress.get(address) ?? 0;
    if (count >= max) {
      throw new HttpError(
        429,
        'too many requests without a session in progress from this address; try again later',
        undefined,
        { 'retry-after': RETRY_AFTER_SECONDS, connection: 'close' },
      );
    }
    inProgress.set(address, count + 1);
    reply.raw.once('close', () => {
      const left = (inProgress.get(address) ?? 1) - 1;
      if (left > 0) inProgress.set(address, left);
      else inProgress.delete(address);
    });
  });

  // A refused request whose body has not fully arrived closes its connection, rather than holding it until the rest
  // of the body arrives or times out.
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode >= 400 && !request.raw.complete) reply.header('connection', 'close');
  });
}
