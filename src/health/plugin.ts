// /healthz (process alive, no Kubernetes call) and /readyz (docs/api.md §8).

import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { ReadinessCheck } from './readiness.js';

export interface HealthOptions {
  checks: ReadinessCheck[];
  /** True from the start of shutdown: /readyz answers 503 at once. */
  shuttingDown: () => boolean;
}

async function healthPluginImpl(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/readyz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (opts.shuttingDown()) {
      return reply.code(503).send({ status: 'not ready', checks: { server: 'shutting down' } });
    }
    const results = await Promise.all(
      opts.checks.map(async (c) => {
        try {
          return [c.name, await c.check()] as const;
        } catch (err) {
          return [c.name, err instanceof Error ? err.message : 'check failed'] as const;
        }
      }),
    );
    const ready = results.every(([, reason]) => reason === null || typeof reason === 'object');
    const checks = Object.fromEntries(
      results.map(([name, reason]) => [
        name,
        reason === null ? 'ok' : typeof reason === 'object' ? reason.status : reason,
      ]),
    );
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}

// Encapsulated; public routes, no dependencies.
export const healthPlugin = fp(healthPluginImpl, {
  name: 'butler-health',
  fastify: '5.x',
  encapsulate: true,
});
